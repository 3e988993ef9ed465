"""confluent-kafka: headers in and out, which partition a key lands on, and where records without a key go."""

import os
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


def send_with_headers(topic: str) -> int:
    # --8<-- [start:headers]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    producer.produce(
        topic,
        key=b"order-42",
        value=b"created",
        headers=[("correlation-id", b"abc-123"), ("source", "order-service"), ("hop", b"1"), ("hop", b"2")],
    )
    producer.produce(topic, key=b"order-42", value=b"paid", headers={"correlation-id": b"abc-124"})
    remaining = producer.flush(10)
    # --8<-- [end:headers]
    return remaining


def read_headers(topic: str, count: int = 2) -> list:
    # --8<-- [start:read-headers]
    consumer = Consumer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "group.id": "headers-reader"})
    consumer.assign([TopicPartition(topic, 0, 0)])
    seen = []
    deadline = time.monotonic() + 10
    while len(seen) < count and time.monotonic() < deadline:
        record = consumer.poll(1.0)
        if record is None:
            continue
        if record.error():
            raise KafkaException(record.error())
        seen.append((record.value(), record.headers()))  # headers: list of (str, bytes) or None
    consumer.close()
    # --8<-- [end:read-headers]
    return seen


def partitions_by_key(topic: str, keys: list[bytes], config: dict | None = None, rounds: int = 3) -> dict:
    # --8<-- [start:keys]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, **(config or {})})
    landed = {}

    def on_delivery(err, msg):
        if err is None:
            landed.setdefault(msg.key(), set()).add(msg.partition())

    for _ in range(rounds):
        for key in keys:
            producer.produce(topic, key=key, value=b"event", on_delivery=on_delivery)
            producer.poll(0)
    producer.flush(10)
    # --8<-- [end:keys]
    return landed


def java_compatible_config() -> dict:
    # --8<-- [start:murmur2]
    config = {"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "partitioner": "murmur2_random"}
    # --8<-- [end:murmur2]
    return config


def partitions_without_key(
    topic: str, bursts: int = 1, per_burst: int = 600, pause: float = 0.0, config: dict | None = None
) -> list[int]:
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, **(config or {})})
    producer.produce(topic, value=b"warm-up")  # until it knows the partition leaders, librdkafka is not sticky
    producer.flush(10)
    # --8<-- [start:keyless]
    landed = {}

    def on_delivery(err, msg):
        if err is None:
            landed[int(msg.value())] = msg.partition()

    for burst in range(bursts):
        for i in range(burst * per_burst, (burst + 1) * per_burst):
            producer.produce(topic, value=b"%0100d" % i, on_delivery=on_delivery)  # no key
        producer.poll(0)
        time.sleep(pause)
    producer.flush(10)
    partitions = [landed.get(i) for i in range(bursts * per_burst)]  # in the order they were produced
    # --8<-- [end:keyless]
    return partitions


def main(topic: str | None = None) -> dict:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "headers")
    if send_with_headers(topic):
        raise TimeoutError("not delivered within 10 s")
    keyed = kafkalab.new_topic(BOOTSTRAP_SERVERS, "keys", partitions=6)
    keys = [f"order-{i}".encode() for i in range(12)]
    return {
        "headers": read_headers(topic),
        "default": partitions_by_key(keyed, keys),
        "murmur2_random": partitions_by_key(keyed, keys, java_compatible_config()),
        "keyless": partitions_without_key(kafkalab.new_topic(BOOTSTRAP_SERVERS, "keyless", partitions=3)),
    }


if __name__ == "__main__":
    print(main())
