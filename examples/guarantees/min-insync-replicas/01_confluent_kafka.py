"""min.insync.replicas with confluent-kafka: set it on a topic, read it back, and write with acks=all."""

import os
import uuid

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic, ResourceType

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


def create_topic(name: str, replication_factor: int, min_insync_replicas: int) -> None:
    # --8<-- [start:create]
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    topic = NewTopic(
        name,
        num_partitions=1,
        replication_factor=replication_factor,
        config={"min.insync.replicas": str(min_insync_replicas)},
    )
    admin.create_topics([topic])[name].result(timeout=30)
    # --8<-- [end:create]
    kafkalab.Admin(BOOTSTRAP_SERVERS).await_healthy([name], timeout=30)


def describe(name: str) -> dict[str, tuple[str, str]]:
    # --8<-- [start:describe]
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    resource = ConfigResource(ResourceType.TOPIC, name)
    entries = admin.describe_configs([resource])[resource].result(timeout=30)
    settings = {
        key: (entries[key].value, ConfigSource(entries[key].source).name)
        for key in ("min.insync.replicas", "unclean.leader.election.enable")
    }
    # --8<-- [end:describe]
    return settings


def produce_acks_all(topic: str, value: bytes) -> tuple:
    # --8<-- [start:produce]
    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "acks": "all",
            "enable.idempotence": True,
            "delivery.timeout.ms": 5000,  # fail fast instead of retrying for 5 minutes
        }
    )
    reports = []
    producer.produce(topic, value=value, on_delivery=lambda err, msg: reports.append((err, msg.offset())))
    producer.flush(10)
    producer.close()
    # --8<-- [end:produce]
    return reports[0]


def main() -> dict:
    safe = f"min-isr-orders-{uuid.uuid4().hex[:8]}"
    create_topic(safe, replication_factor=3, min_insync_replicas=2)
    capped = f"min-isr-capped-{uuid.uuid4().hex[:8]}"
    create_topic(capped, replication_factor=1, min_insync_replicas=2)
    return {
        "topic": safe,
        "configs": describe(safe),
        "acks_all": produce_acks_all(safe, b"order-1"),
        "capped_topic": capped,
        "capped_acks_all": produce_acks_all(capped, b"order-2"),
    }


if __name__ == "__main__":
    print(main())
