"""Three ways to send with kafka-python: fire-and-forget, synchronous, asynchronous with a callback."""

import os

from kafka import KafkaProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")


def new_producer() -> KafkaProducer:
    # --8<-- [start:config]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)
    # --8<-- [end:config]
    return producer


def fire_and_forget(producer: KafkaProducer, topic: str, values: list[bytes]) -> None:
    # --8<-- [start:fire-and-forget]
    for value in values:
        producer.send(topic, value=value)
    producer.flush(timeout=10)  # logs a failed batch, raises only on timeout
    # --8<-- [end:fire-and-forget]


def send_sync(producer: KafkaProducer, topic: str, value: bytes):
    # --8<-- [start:sync]
    metadata = producer.send(topic, value=value).get(timeout=10)  # raises the broker's error
    # --8<-- [end:sync]
    return metadata


def send_async(producer: KafkaProducer, topic: str, values: list[bytes]) -> tuple[list, list[Exception]]:
    # --8<-- [start:async]
    delivered, failed = [], []

    def on_success(metadata):
        delivered.append((metadata.partition, metadata.offset))

    def on_error(exc):
        failed.append(exc)

    for value in values:
        future = producer.send(topic, value=value)
        future.add_callback(on_success)
        future.add_errback(on_error)
    producer.flush(timeout=10)
    # --8<-- [end:async]
    return delivered, failed


def main(topic: str | None = None) -> dict:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "send-patterns")
    producer = new_producer()
    try:
        fire_and_forget(producer, topic, [b"ff-0", b"ff-1", b"ff-2"])
        sync = [send_sync(producer, topic, f"sync-{i}".encode()) for i in range(3)]
        delivered, failed = send_async(producer, topic, [f"async-{i}".encode() for i in range(3)])
    finally:
        producer.close(timeout=10)
    return {
        "sync": [(m.partition, m.offset) for m in sync],
        "async_delivered": delivered,
        "async_failed": failed,
    }


if __name__ == "__main__":
    print(main())
