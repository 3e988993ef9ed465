"""Producing event envelopes with confluent-kafka: key = entity id, routing headers, record timestamp."""

import json
import os

from confluent_kafka import Producer
from envelope import TASK_EVENTS, build_envelope, to_record  # envelope.py, next to this file

import kafkalab
from kafkalab import new_topic
from kafkalab.lab import read_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


def main() -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "task-events", partitions=3)
    events = TASK_EVENTS
    # --8<-- [start:produce]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
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
        producer.poll(0)
    remaining = producer.flush(30)  # records still without a report
    if remaining:
        raise TimeoutError(f"{remaining} envelopes have no delivery report after 30 s")
    producer.close()
    # --8<-- [end:produce]
    return {
        "events": events,
        "reports": reports,
        "remaining": remaining,
        "read_back": read_topic(BOOTSTRAP_SERVERS, topic, config=SECURITY),
    }


if __name__ == "__main__":
    for msg in main()["read_back"]:
        print(msg.partition(), msg.key(), dict(msg.headers()), json.loads(msg.value())["event_type"])
