"""Each configuration the security page shows connects to kafkalab's cluster of that mode, and every
client's record is read back. The settings come from the cluster (its CA, certificates, users), as a
reader's would come from their platform team."""

import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from kafkalab import SASL_USERS, Cluster

EXAMPLES = {
    "01_tls.py": "tls",
    "02_mtls.py": "mtls",
    "03_scram.py": "sasl-scram",
    "05_contract.py": "sasl-scram",
    "04_oauthbearer.py": "sasl-oauthbearer",
}


@pytest.fixture(autouse=True)
def _sibling_module_importable(monkeypatch):
    """The examples import one_each.py from their folder, as they do when run as scripts."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))


def _read_back(cluster: Cluster, topic: str, want: int) -> list[tuple[int, bytes]]:
    consumer = Consumer(
        {
            "bootstrap.servers": cluster.bootstrap_servers,
            **cluster.client_config(),
            "group.id": f"read-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe([topic])
        got: list[tuple[int, bytes]] = []
        for _ in range(60):
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got.append((msg.offset(), msg.value()))
            if len(got) == want:
                break
        return got
    finally:
        consumer.close()


@pytest.mark.parametrize(
    ("filename", "kafka_secured_cluster"), list(EXAMPLES.items()), indirect=["kafka_secured_cluster"]
)
def test_the_shown_configuration_connects_and_writes(example, kafka_secured_cluster, filename, monkeypatch):
    cluster = kafka_secured_cluster
    module = example(filename)
    certs = cluster.ca_file.parent
    settings = {
        "BOOTSTRAP_SERVERS": cluster.bootstrap_servers,
        "CA_FILE": str(cluster.ca_file),
        "CERT_FILE": str(certs / "client.pem"),
        "KEY_FILE": str(certs / "client.key"),
        "USERNAME": "alice",
        "PASSWORD": SASL_USERS["alice"],
        "PRINCIPAL": "alice",
    }
    for name, value in settings.items():
        if hasattr(module, name):
            monkeypatch.setattr(module, name, value)
    monkeypatch.setenv("KAFKA_CLIENT_CONFIG", str(cluster.client_config_file))
    topic = f"security-{uuid.uuid4().hex[:8]}"
    cluster.create_topic(topic)
    if cluster.topology.sasl:  # alice has no rights until granted: the login alone is what is tested
        _grant_write(cluster, topic, "User:alice")
    offsets = module.main(topic)
    assert offsets == {"confluent-kafka": 0, "kafka-python": 1, "aiokafka": 2}
    assert _read_back(cluster, topic, 3) == [(0, b"confluent-kafka"), (1, b"kafka-python"), (2, b"aiokafka")]


def _grant_write(cluster: Cluster, topic: str, principal: str) -> None:
    from confluent_kafka.admin import (
        AclBinding,
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
    )

    acls = [
        AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, principal, "*", op, AclPermissionType.ALLOW)
        for op in (AclOperation.WRITE, AclOperation.DESCRIBE)
    ]
    admin = cluster.admin()
    for future in admin.client.create_acls(acls).values():
        future.result(timeout=30)
    mine = AclBindingFilter(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, principal, None,
                            AclOperation.ANY, AclPermissionType.ANY)  # fmt: skip
    for _ in range(100):  # the broker's authorizer learns of them from the metadata log: wait until it has
        if len(admin.client.describe_acls(mine).result(timeout=30)) == len(acls):
            return
        time.sleep(0.1)
    raise AssertionError(f"the broker never showed the ACLs for {principal} on {topic}")
