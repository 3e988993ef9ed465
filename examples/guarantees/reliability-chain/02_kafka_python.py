"""The whole no-loss chain with kafka-python: a safe topic, a safe producer, a consumer that commits after work."""

import os
import time
import uuid

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")


def create_topic(name: str) -> dict[str, str]:
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)
    try:
        # --8<-- [start:topic]
        topic = NewTopic(
            name,
            num_partitions=1,
            replication_factor=3,
            topic_configs={"min.insync.replicas": "2", "unclean.leader.election.enable": "false"},
        )
        admin.create_topics([topic])
        # --8<-- [end:topic]
        kafkalab.Admin(BOOTSTRAP_SERVERS).await_healthy([name], timeout=30)
        result = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    finally:
        admin.close()
    return {key: entry["value"] for key, entry in result["topic"][name].items()}


def produce(topic: str, values: list[bytes]) -> list:
    # --8<-- [start:producer]
    producer = KafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        **SECURITY,
        acks="all",
        enable_idempotence=True,
        retries=2147483647,  # kafka-python's default is unlimited; the time limit below ends retrying
        delivery_timeout_ms=300000,
        max_in_flight_requests_per_connection=5,
        linger_ms=5,
    )
    try:
        futures = [producer.send(topic, value=value) for value in values]
        producer.flush(timeout=30)
        metadata = [future.get(timeout=10) for future in futures]  # raises if any record failed
    finally:
        producer.close(timeout=30)
    # --8<-- [end:producer]
    return metadata


def consume(topic: str, group: str, count: int, timeout: float = 20.0) -> tuple[list[bytes], int]:
    processed = []
    # --8<-- [start:consumer]
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=BOOTSTRAP_SERVERS,
        **SECURITY,
        group_id=group,
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
    )
    deadline = time.monotonic() + timeout
    while len(processed) < count and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=1000).values():
            for record in records:
                processed.append(record.value)  # process first...
        consumer.commit()  # ...then commit what poll() returned
    # --8<-- [end:consumer]
    committed = consumer.committed(TopicPartition(topic, 0))
    consumer.close()
    return processed, committed


def main() -> dict:
    topic = f"reliable-orders-{uuid.uuid4().hex[:8]}"
    configs = create_topic(topic)
    values = [f"order-{i}".encode() for i in range(5)]
    metadata = produce(topic, values)
    processed, committed = consume(topic, f"reliable-{uuid.uuid4().hex[:8]}", len(values))
    return {"topic": topic, "configs": configs, "metadata": metadata, "processed": processed, "committed": committed}


if __name__ == "__main__":
    print(main())
