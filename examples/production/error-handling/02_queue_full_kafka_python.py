"""Back-pressure in kafka-python 3.0: there is no buffer_memory setting and send() never blocks for
memory, so the application bounds its own backlog of unacknowledged records."""

import contextlib
import os
from collections import deque

from kafka import KafkaProducer
from kafka.errors import KafkaError

from kafkalab import client_settings, new_topic
from kafkalab.lab import read_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("kafka-python")
MAX_PENDING = 50
RECORDS = 2000


def buffer_memory_is_rejected() -> ValueError | None:
    # --8<-- [start:no-buffer-memory]
    try:
        KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","), **SECURITY, buffer_memory=1024 * 1024)
    except ValueError as exc:  # Unrecognized configs: {'buffer_memory': 1048576}
        return exc
    # --8<-- [end:no-buffer-memory]
    return None


# --8<-- [start:bounded-send]
def send_bounded(producer: KafkaProducer, pending: deque, topic: str, value: bytes, max_pending: int) -> int:
    """Send one record, first waiting for the oldest ones while max_pending are unacknowledged.

    Returns how many times it had to wait. Outcomes are handled by the callbacks on each future.
    """
    waited = 0
    while len(pending) >= max_pending:
        waited += 1
        with contextlib.suppress(KafkaError):  # failures are handled by the errbacks
            pending.popleft().get(timeout=30)
    pending.append(producer.send(topic, value))
    return waited


# --8<-- [end:bounded-send]


def main(records: int = RECORDS) -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "bounded-backlog")
    # --8<-- [start:producer]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","), **SECURITY)
    delivered, failed = [], []
    pending: deque = deque()
    max_seen = waits = 0
    for i in range(records):
        value = f"record-{i}".encode()
        waits += send_bounded(producer, pending, topic, value, MAX_PENDING)
        pending[-1].add_callback(lambda md, v=value: delivered.append((v, md)))
        pending[-1].add_errback(lambda exc, v=value: failed.append((v, exc)))
        max_seen = max(max_seen, len(pending))
    producer.flush(timeout=30)
    producer.close(timeout=10)
    # --8<-- [end:producer]
    return {
        "sent": [f"record-{i}".encode() for i in range(records)],
        "waits": waits,
        "max_pending": max_seen,
        "delivered": delivered,
        "failed": failed,
        "read_back": [msg.value() for msg in read_topic(BOOTSTRAP_SERVERS, topic)],
    }


if __name__ == "__main__":
    result = main()
    print(f"waited {result['waits']} times, at most {result['max_pending']} pending")
    print(f"{len(result['delivered'])} delivered, {len(result['failed'])} failed, {len(result['read_back'])} read back")
