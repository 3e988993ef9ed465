"""Producing event envelopes with kafka-python: key = entity id, routing headers, record timestamp."""

import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

from kafka import KafkaConsumer, KafkaProducer

from kafkalab import new_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# The envelope functions, exactly as the page shows them inline (the test checks that they agree).
def build_envelope(
    event_type: str,
    entity_id: str,
    data: dict,
    *,
    source: str,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict:
    occurred_at = occurred_at or datetime.now(UTC)
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "entity_id": entity_id,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source": source,
        "data": data,
    }


def serialize(envelope: dict) -> bytes:
    return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()


def to_record(envelope: dict) -> dict:
    occurred_at = datetime.fromisoformat(envelope["occurred_at"])
    return {
        "key": envelope["entity_id"].encode(),
        "value": serialize(envelope),
        "headers": [
            ("event_id", envelope["event_id"].encode()),
            ("event_type", envelope["event_type"].encode()),
            ("source", envelope["source"].encode()),
        ],
        "timestamp_ms": (occurred_at - EPOCH) // timedelta(milliseconds=1),
    }


def read_back(topic: str, expected: int, timeout: float = 30.0) -> list:
    consumer = KafkaConsumer(topic, bootstrap_servers=BOOTSTRAP_SERVERS.split(","), auto_offset_reset="earliest")
    records = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=1000).values():
                records.extend(batch)
    finally:
        consumer.close()
    return records


def main() -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "task-events", partitions=3)
    events = [
        ("task.created", "task-42", {"title": "Design API"}),
        ("task.assigned", "task-42", {"assignee": "alice"}),
        ("task.created", "task-7", {"title": "Write tests"}),
        ("task.completed", "task-42", {}),
    ]
    # --8<-- [start:produce]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","))
    metadata = []
    for event_type, entity_id, data in events:
        record = to_record(build_envelope(event_type, entity_id, data, source="task-api"))
        future = producer.send(
            topic,
            value=record["value"],
            key=record["key"],
            headers=record["headers"],
            timestamp_ms=record["timestamp_ms"],
        )
        metadata.append(future.get(timeout=10))
    producer.close(timeout=10)
    # --8<-- [end:produce]
    return {"events": events, "metadata": metadata, "read_back": read_back(topic, len(events))}


if __name__ == "__main__":
    for r in main()["read_back"]:
        print(r.partition, r.key, dict(r.headers), json.loads(r.value)["event_type"])
