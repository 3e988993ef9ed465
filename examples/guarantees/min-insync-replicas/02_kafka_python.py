"""min.insync.replicas with kafka-python: set it on a topic, read it back, and write with acks=all."""

import os
import uuid

from kafka import KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")


def create_topic(name: str, replication_factor: int, min_insync_replicas: int) -> None:
    # --8<-- [start:create]
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)
    try:
        topic = NewTopic(
            name,
            num_partitions=1,
            replication_factor=replication_factor,
            topic_configs={"min.insync.replicas": str(min_insync_replicas)},
        )
        admin.create_topics([topic])
    finally:
        admin.close()
    # --8<-- [end:create]
    kafkalab.Admin(BOOTSTRAP_SERVERS).await_healthy([name], timeout=30)


def describe(name: str) -> dict[str, dict]:
    # --8<-- [start:describe]
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)
    try:
        result = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    finally:
        admin.close()
    settings = result["topic"][name]  # only settings that differ from the defaults
    # --8<-- [end:describe]
    return settings


def produce_acks_all(topic: str, value: bytes):
    # --8<-- [start:produce]
    producer = KafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        **SECURITY,
        acks="all",
        enable_idempotence=True,
        delivery_timeout_ms=5000,  # fail fast instead of retrying for 2 minutes
        request_timeout_ms=3000,
    )
    try:
        metadata = producer.send(topic, value=value).get(timeout=10)
    finally:
        producer.close(timeout=10)
    # --8<-- [end:produce]
    return metadata


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
