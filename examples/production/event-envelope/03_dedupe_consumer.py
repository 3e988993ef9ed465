"""Consumer-side deduplication by event_id: the same envelope sent twice is processed once."""

import json
import os
import time

from confluent_kafka import Consumer, Producer
from envelope import build_envelope, to_record  # envelope.py, next to this file

import kafkalab
from kafkalab import new_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


# --8<-- [start:dedupe]
class SeenEvents:
    """The event ids processed recently, bounded: the oldest are forgotten first."""

    def __init__(self, capacity: int = 100_000):
        self.capacity = capacity
        self.ids: dict[str, None] = {}  # insertion-ordered

    def first_time(self, event_id: str) -> bool:
        if event_id in self.ids:
            return False
        self.ids[event_id] = None
        if len(self.ids) > self.capacity:
            del self.ids[next(iter(self.ids))]
        return True


def consume_once(consumer: Consumer, seen: SeenEvents, handle, expected: int, timeout: float = 30.0) -> list[str]:
    skipped = []
    deadline = time.monotonic() + timeout
    received = 0
    while received < expected and time.monotonic() < deadline:
        for msg in consumer.consume(100, timeout=1.0):
            if msg.error() is not None:
                continue
            received += 1
            event_id = dict(msg.headers())["event_id"].decode()  # no need to parse the value
            if seen.first_time(event_id):
                handle(json.loads(msg.value()))
            else:
                skipped.append(event_id)
    return skipped


# --8<-- [end:dedupe]


def main() -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "task-events")
    envelopes = [
        build_envelope("task.created", "task-42", {"title": "Design API"}, source="task-api"),
        build_envelope("task.assigned", "task-42", {"assignee": "alice"}, source="task-api"),
    ]
    # --8<-- [start:duplicate]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    reports = []
    for envelope in [*envelopes, envelopes[0]]:  # the application re-sends the first event
        record = to_record(envelope)
        producer.produce(
            topic, record["value"], record["key"], headers=record["headers"], on_delivery=lambda e, m: reports.append(e)
        )
        producer.poll(0)
    remaining = producer.flush(30)  # records still without a report
    failed = [err for err in reports if err is not None]
    if remaining or failed:
        raise RuntimeError(f"not every envelope was delivered: {remaining} without a report, {failed}")
    producer.close()
    # --8<-- [end:duplicate]
    # --8<-- [start:consume]
    consumer = Consumer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "group.id": f"{topic}-projector",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    processed = []
    try:
        skipped = consume_once(consumer, SeenEvents(), processed.append, expected=3)
    finally:
        consumer.close()
    # --8<-- [end:consume]
    return {"envelopes": envelopes, "processed": processed, "skipped": skipped}


if __name__ == "__main__":
    result = main()
    print("processed:", [e["event_type"] for e in result["processed"]], "skipped:", result["skipped"])
