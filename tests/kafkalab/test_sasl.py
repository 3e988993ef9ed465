"""The SASL/ACL cluster: logins are checked on the client listener and ACLs are enforced."""

import time
import uuid

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AclBinding, AclOperation, AclPermissionType, ResourcePatternType, ResourceType


def _produce(cluster, user: str, topic: str, password: str | None = None) -> KafkaError | None:
    config = {**cluster.client_config(user), "bootstrap.servers": cluster.bootstrap_servers}
    if password is not None:
        config["sasl.password"] = password
    errors = []
    p = Producer({**config, "message.timeout.ms": 5000})
    p.produce(topic, b"x", on_delivery=lambda err, msg: errors.append(err))
    assert p.flush(15) == 0
    return errors[0]


@pytest.fixture(scope="module")
def topic(kafka_secure_cluster):
    name = f"secure-{uuid.uuid4().hex[:8]}"
    kafka_secure_cluster.create_topic(name)
    return name


def test_super_user_writes(kafka_secure_cluster, topic):
    assert _produce(kafka_secure_cluster, "admin", topic) is None


def test_user_without_acl_is_denied_write(kafka_secure_cluster, topic):
    err = _produce(kafka_secure_cluster, "bob", topic)
    assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    assert not err.retriable()


def test_granted_user_writes(kafka_secure_cluster, topic):
    acl = AclBinding(
        ResourceType.TOPIC, topic, ResourcePatternType.LITERAL,
        "User:alice", "*", AclOperation.WRITE, AclPermissionType.ALLOW,
    )  # fmt: skip
    admin = kafka_secure_cluster.admin()  # must outlive the future
    admin.client.create_acls([acl])[acl].result(timeout=30)
    assert _produce(kafka_secure_cluster, "alice", topic) is None


def test_wrong_password_fails_authentication(kafka_secure_cluster, topic):
    config = {**kafka_secure_cluster.client_config("bob"), "bootstrap.servers": kafka_secure_cluster.bootstrap_servers}
    errors: list[KafkaError] = []
    p = Producer({**config, "sasl.password": "wrong", "error_cb": errors.append})
    deadline = time.monotonic() + 15
    while not any(e.code() == KafkaError._AUTHENTICATION for e in errors) and time.monotonic() < deadline:
        p.poll(0.1)  # serves error_cb: librdkafka reports the broker's refusal there, at once
    assert any(e.code() == KafkaError._AUTHENTICATION for e in errors), errors
    with pytest.raises(KafkaException) as err:
        p.list_topics(timeout=1)  # and no metadata ever comes back
    assert err.value.args[0].code() in (KafkaError._AUTHENTICATION, KafkaError._TRANSPORT, KafkaError._TIMED_OUT)
