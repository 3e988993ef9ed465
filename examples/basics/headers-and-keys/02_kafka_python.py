"""kafka-python: headers in and out, which partition a key lands on, and where records without a key go."""

import os
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.partitioner import StickyPartitioner

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")


def send_with_headers(topic: str) -> None:
    # --8<-- [start:headers]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)
    producer.send(
        topic,
        key=b"order-42",
        value=b"created",
        headers=[("correlation-id", b"abc-123"), ("source", b"order-service"), ("hop", b"1"), ("hop", b"2")],
    )
    producer.close(timeout=10)
    # --8<-- [end:headers]


def read_headers(topic: str, count: int = 1) -> list:
    # --8<-- [start:read-headers]
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY, enable_auto_commit=False)
    partition = TopicPartition(topic, 0)
    consumer.assign([partition])
    consumer.seek(partition, 0)
    seen = []
    deadline = time.monotonic() + 10
    while len(seen) < count and time.monotonic() < deadline:
        for record in consumer.poll(timeout_ms=1000).get(partition, []):
            seen.append((record.value, record.headers))  # headers: list of (str, bytes)
    consumer.close()
    # --8<-- [end:read-headers]
    return seen


def partitions_by_key(topic: str, keys: list[bytes], rounds: int = 3) -> dict:
    # --8<-- [start:keys]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)
    landed = {}
    for _ in range(rounds):
        for key in keys:
            metadata = producer.send(topic, key=key, value=b"event").get(timeout=10)
            landed.setdefault(key, set()).add(metadata.partition)
    producer.close(timeout=10)
    # --8<-- [end:keys]
    return landed


def partitions_without_key(
    topic: str, bursts: int = 1, per_burst: int = 600, pause: float = 0.0, config: dict | None = None
) -> list[int]:
    # --8<-- [start:keyless]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY, **(config or {}))
    futures = []
    for _ in range(bursts):
        futures += [producer.send(topic, value=b"x" * 100) for _ in range(per_burst)]  # no key
        time.sleep(pause)
    producer.flush(10)
    partitions = [future.get(timeout=10).partition for future in futures]  # in the order they were sent
    producer.close(timeout=10)
    # --8<-- [end:keyless]
    return partitions


def sticky_config() -> dict:
    # --8<-- [start:sticky]
    config = {"partitioner": StickyPartitioner()}  # from kafka.partitioner; the default is DefaultPartitioner()
    # --8<-- [end:sticky]
    return config


def main(topic: str | None = None) -> dict:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "headers")
    send_with_headers(topic)
    keyed = kafkalab.new_topic(BOOTSTRAP_SERVERS, "keys", partitions=6)
    keys = [f"order-{i}".encode() for i in range(12)]
    keyless = kafkalab.new_topic(BOOTSTRAP_SERVERS, "keyless", partitions=3)
    return {
        "headers": read_headers(topic),
        "default": partitions_by_key(keyed, keys),
        "keyless": partitions_without_key(keyless),
        "keyless sticky": partitions_without_key(keyless, config=sticky_config()),
    }


if __name__ == "__main__":
    print(main())
