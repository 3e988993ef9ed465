"""Three ways to send with confluent-kafka: fire-and-forget, synchronous, asynchronous with a callback."""

import os
import time

from confluent_kafka import KafkaError, KafkaException, Message, Producer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


def new_producer() -> Producer:
    # --8<-- [start:config]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    # --8<-- [end:config]
    return producer


def fire_and_forget(producer: Producer, topic: str, values: list[bytes]) -> int:
    # --8<-- [start:fire-and-forget]
    for value in values:
        producer.produce(topic, value=value)
        producer.poll(0)
    remaining = producer.flush(10)  # 0 means "nothing left in the queue", not "all delivered"
    # --8<-- [end:fire-and-forget]
    return remaining


# --8<-- [start:sync]
def send_sync(producer: Producer, topic: str, value: bytes, timeout: float = 10.0) -> Message:
    outcome = []
    producer.produce(topic, value=value, on_delivery=lambda err, msg: outcome.append((err, msg)))
    deadline = time.monotonic() + timeout
    while not outcome and (left := deadline - time.monotonic()) > 0:
        producer.poll(left)  # (1)!
    if not outcome:
        raise TimeoutError(f"no delivery report within {timeout} s; the record may still be written")
    err, msg = outcome[0]
    if err is not None:
        raise KafkaException(err)
    return msg


# --8<-- [end:sync]


def send_async(producer: Producer, topic: str, values: list[bytes]) -> tuple[list, list[KafkaError], int]:
    # --8<-- [start:async]
    delivered, failed = [], []

    def on_delivery(err, msg):
        if err is not None:
            failed.append(err)
        else:
            delivered.append((msg.partition(), msg.offset()))

    for value in values:
        producer.produce(topic, value=value, on_delivery=on_delivery)
        producer.poll(0)  # serve the reports that have arrived so far
    remaining = producer.flush(10)  # wait for the rest
    # --8<-- [end:async]
    return delivered, failed, remaining


def main(topic: str | None = None) -> dict:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "send-patterns")
    producer = new_producer()
    remaining = fire_and_forget(producer, topic, [b"ff-0", b"ff-1", b"ff-2"])
    sync = [send_sync(producer, topic, f"sync-{i}".encode()) for i in range(3)]
    delivered, failed, left = send_async(producer, topic, [f"async-{i}".encode() for i in range(3)])
    return {
        "fire_and_forget_remaining": remaining,
        "sync": [(m.partition(), m.offset()) for m in sync],
        "async_delivered": delivered,
        "async_failed": failed,
        "async_remaining": left,
    }


if __name__ == "__main__":
    print(main())
