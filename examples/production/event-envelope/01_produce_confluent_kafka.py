"""Producing event envelopes with confluent-kafka: key = entity id, routing headers, record timestamp."""

import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

from confluent_kafka import Consumer, Producer

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
    consumer = Consumer(
        {"bootstrap.servers": BOOTSTRAP_SERVERS, "group.id": f"{topic}-reader", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    records = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for msg in consumer.consume(100, timeout=1.0):
                if msg.error() is None:
                    records.append(msg)
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
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS})
    reports = []
    for event_type, entity_id, data in events:
        record = to_record(build_envelope(event_type, entity_id, data, source="task-api"))
        producer.produce(
            topic,
            value=record["value"],
            key=record["key"],
            headers=record["headers"],
            timestamp=record["timestamp_ms"],
            on_delivery=lambda err, msg: reports.append((err, msg.partition(), msg.offset())),
        )
    producer.flush(30)
    # --8<-- [end:produce]
    return {"events": events, "reports": reports, "read_back": read_back(topic, len(events))}


if __name__ == "__main__":
    for msg in main()["read_back"]:
        print(msg.partition(), msg.key(), dict(msg.headers()), json.loads(msg.value())["event_type"])
