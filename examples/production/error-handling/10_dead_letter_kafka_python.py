"""A dead-letter topic with kafka-python: the application thread collects the failures (from send() and
from the futures) and routes them to the DLT itself, never from a callback on the I/O thread."""

import os
import time

from kafka import KafkaProducer
from kafka.errors import KafkaError

from kafkalab import client_settings, new_topic
from kafkalab.lab import read_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("kafka-python")
TOPIC_LIMIT = 2000  # the main topic's max.message.bytes


# --8<-- [start:dead-letter]
class DeadLetterRouter:
    def __init__(self, producer: KafkaProducer, dead_letter_producer: KafkaProducer, dead_letter_topic: str):
        self.producer = producer
        self.dead_letter_producer = dead_letter_producer
        self.dead_letter_topic = dead_letter_topic
        self.pending = []  # (future, record)
        self.failed = []  # (record, error)
        self.delivered = []

    def send(self, topic: str, value: bytes, key: bytes, headers: list) -> None:
        record = (topic, key, value, headers)
        try:
            self.pending.append((self.producer.send(topic, value, key, headers=headers), record))
        except KafkaError as exc:  # e.g. MessageSizeTooLargeError over max_request_size
            self.failed.append((record, exc))

    def drain(self, timeout: float = 30.0) -> list:
        """Wait for every pending record, then send the failed ones to the DLT; returns their DLT metadata."""
        self.producer.flush(timeout=timeout)
        for future, record in self.pending:
            try:
                self.delivered.append(future.get(timeout=timeout))
            except KafkaError as exc:
                self.failed.append((record, exc))
        self.pending = []
        futures = []
        for (topic, key, value, headers), exc in self.failed:
            dead_letter_headers = [
                *headers,
                ("dlt.error", type(exc).__name__.encode()),
                ("dlt.original.topic", topic.encode()),
            ]
            future = self.dead_letter_producer.send(self.dead_letter_topic, value, key, headers=dead_letter_headers)
            futures.append(future)
        self.dead_letter_producer.flush(timeout=timeout)
        self.failed = []
        return [future.get(timeout=timeout) for future in futures]  # raises if the DLT refuses one too


# --8<-- [end:dead-letter]


def send_from_callback(max_block_ms: int = 3000) -> list:
    """What happens when a callback (on the network thread) sends to a topic the producer has not used yet."""
    topic = new_topic(BOOTSTRAP_SERVERS, "orders")
    dead_letter_topic = new_topic(BOOTSTRAP_SERVERS, "orders-dlt")
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","), **SECURITY, max_block_ms=max_block_ms)
    outcomes = []

    def on_success(_metadata):
        started = time.monotonic()
        try:
            producer.send(dead_letter_topic, b"from the callback")
            outcomes.append(("sent", time.monotonic() - started))
        except KafkaError as exc:
            outcomes.append((exc, time.monotonic() - started))

    producer.send(topic, b"order").add_callback(on_success)
    deadline = time.monotonic() + max_block_ms / 1000 + 10
    while not outcomes and time.monotonic() < deadline:
        time.sleep(0.1)
    producer.flush(timeout=10)
    producer.close(timeout=10)
    return outcomes


def read_back(topic: str) -> list:
    return [(msg.key(), msg.value(), msg.headers() or []) for msg in read_topic(BOOTSTRAP_SERVERS, topic)]


def main() -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "orders", config={"max.message.bytes": str(TOPIC_LIMIT)})
    dead_letter_topic = new_topic(BOOTSTRAP_SERVERS, "orders-dlt")  # default limit: takes the rejects
    values = [b"small-order-%d" % i if i % 3 else b"huge-order-%d " % i + b"x" * 5000 for i in range(9)]
    # --8<-- [start:produce]
    servers = BOOTSTRAP_SERVERS.split(",")
    producer = KafkaProducer(bootstrap_servers=servers, **SECURITY, max_request_size=TOPIC_LIMIT)
    dead_letter_producer = KafkaProducer(bootstrap_servers=servers, **SECURITY)  # default max_request_size: 1 MiB
    router = DeadLetterRouter(producer, dead_letter_producer, dead_letter_topic)
    for i, value in enumerate(values):
        router.send(topic, value, f"order-{i}".encode(), headers=[("source", b"shop")])
    try:
        dead_lettered = router.drain(timeout=30)  # flushes both producers
    finally:
        producer.close(timeout=10)
        dead_letter_producer.close(timeout=10)
    # --8<-- [end:produce]
    return {
        "values": values,
        "delivered": router.delivered,
        "dead_lettered": dead_lettered,
        "topic": read_back(topic),
        "dead_letter_topic": read_back(dead_letter_topic),
    }


if __name__ == "__main__":
    result = main()
    print(f"{len(result['delivered'])} delivered, {len(result['dead_lettered'])} dead-lettered")
    for key, _value, headers in result["dead_letter_topic"]:
        print(key, dict(headers))
