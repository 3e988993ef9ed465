"""What the examples of this folder share and the page does not show: making their topic, and reading
records back with a bounded wait."""

from __future__ import annotations

import time

from confluent_kafka import Consumer, DeserializingConsumer
from confluent_kafka.admin import AdminClient, NewTopic


def create_topic(bootstrap_servers: str, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    admin.create_topics([NewTopic(topic, 1, 3)])[topic].result(timeout=30)


def poll_until(consumer: Consumer | DeserializingConsumer, topic: str, count: int, timeout: float = 30.0) -> list:
    """Up to `count` records of `topic` from its start, waiting at most `timeout` seconds; closes the consumer."""
    consumer.subscribe([topic])
    got = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got.append(msg)
    finally:
        consumer.close()
    return got
