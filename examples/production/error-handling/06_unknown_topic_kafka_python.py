"""Producing to a topic that does not exist, with kafka-python: send() itself blocks while it waits for
the topic's metadata, then raises KafkaTimeoutError after max_block_ms. No future is returned."""

import os
import time
import uuid

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")
MAX_BLOCK_MS = 3000


def main() -> tuple[KafkaTimeoutError | None, float]:
    topic = f"no-such-topic-{uuid.uuid4().hex[:8]}"
    # --8<-- [start:missing-topic]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","), **SECURITY, max_block_ms=MAX_BLOCK_MS)
    started = time.monotonic()
    try:
        producer.send(topic, b"lost?")
        error = None
    except KafkaTimeoutError as exc:  # "Failed to update metadata after 3.0 secs."
        error = exc
    elapsed = time.monotonic() - started
    producer.close(timeout=10)
    # --8<-- [end:missing-topic]
    return error, elapsed


if __name__ == "__main__":
    error, elapsed = main()
    print(f"{error!r} after {elapsed:.1f} s (retriable is {error.retriable})")
