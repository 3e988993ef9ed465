"""Local back-pressure in confluent-kafka: produce() raises BufferError when librdkafka's queue is full.
A bounded drain-and-retry loop loses nothing; retrying once after a single poll can still fail."""

import os
import time

from confluent_kafka import Producer

from kafkalab import client_settings, new_topic
from kafkalab.lab import read_topic, wait_until

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("confluent-kafka")
QUEUE_LIMIT = 50  # queue.buffering.max.messages, tiny on purpose so the queue fills up
RECORDS = 2000


# --8<-- [start:retry-once]
def produce_retry_once(producer: Producer, topic: str, value: bytes, on_delivery) -> None:
    try:
        producer.produce(topic, value, on_delivery=on_delivery)
    except BufferError:
        producer.poll(1.0)
        producer.produce(topic, value, on_delivery=on_delivery)  # may raise BufferError again


# --8<-- [end:retry-once]


# --8<-- [start:drain-and-retry]
def produce_with_backpressure(producer: Producer, topic: str, value: bytes, on_delivery, max_wait: float = 30.0) -> int:
    """Queue one record, serving delivery reports while the local queue is full.

    Returns how many times the queue was full; raises BufferError if it stays full for max_wait seconds.
    """
    deadline = time.monotonic() + max_wait
    full = 0
    while True:
        try:
            producer.produce(topic, value, on_delivery=on_delivery)
            return full
        except BufferError:
            full += 1
            if time.monotonic() >= deadline:
                raise
            producer.poll(0.1)  # delivery reports free queue slots


# --8<-- [end:drain-and-retry]


def demonstrate_retry_once() -> BufferError | None:
    """The reference's pattern with a producer that holds records for 5 s (linger.ms) before sending:
    one second of poll() frees nothing, so the single retry raises."""
    topic = new_topic(BOOTSTRAP_SERVERS, "retry-once")
    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "queue.buffering.max.messages": QUEUE_LIMIT,
            "linger.ms": 5000,
        }
    )
    for i in range(QUEUE_LIMIT):
        producer.produce(topic, f"fill-{i}".encode())
    try:
        produce_retry_once(producer, topic, b"one-too-many", on_delivery=None)
        error = None
    except BufferError as exc:
        error = exc
    producer.flush(30)
    return error


def acknowledged_records_keep_their_slots() -> dict:
    """Records the broker has acknowledged still fill the queue until poll() serves their delivery reports."""
    topic = new_topic(BOOTSTRAP_SERVERS, "slots")
    producer = Producer(
        {"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "queue.buffering.max.messages": QUEUE_LIMIT}
    )
    reports = []
    for i in range(QUEUE_LIMIT):
        producer.produce(topic, f"fill-{i}".encode(), on_delivery=lambda err, msg: reports.append(err))
    stored = wait_until(lambda: len(read_topic(BOOTSTRAP_SERVERS, topic)) == QUEUE_LIMIT, 30, "all records stored")
    try:
        producer.produce(topic, b"one more")
        before_poll = None
    except BufferError as exc:
        before_poll = exc
    producer.poll(5)
    served = list(reports)
    producer.produce(topic, b"one more")  # the served reports freed the slots
    remaining = producer.flush(30)
    return {"stored": stored, "before_poll": before_poll, "served": served, "remaining": remaining}


def main(records: int = RECORDS) -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "queue-full")
    # --8<-- [start:producer]
    producer = Producer(
        {"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "queue.buffering.max.messages": QUEUE_LIMIT}
    )
    reports = []

    def on_delivery(err, msg):
        reports.append((err, msg.value()))

    queue_full = 0
    for i in range(records):
        queue_full += produce_with_backpressure(producer, topic, f"record-{i}".encode(), on_delivery)
    remaining = producer.flush(30)
    # --8<-- [end:producer]
    return {
        "sent": [f"record-{i}".encode() for i in range(records)],
        "queue_full": queue_full,
        "remaining": remaining,
        "reports": reports,
        "read_back": [msg.value() for msg in read_topic(BOOTSTRAP_SERVERS, topic)],
    }


if __name__ == "__main__":
    result = main()
    errors = sum(1 for err, _ in result["reports"] if err is not None)
    print(f"queue full {result['queue_full']} times, {len(result['reports'])} reports, {errors} errors")
    print(f"read back {len(result['read_back'])} records")
