"""Producing event envelopes with kafka-python: key = entity id, routing headers, record timestamp."""

import json
import os

from envelope import TASK_EVENTS, build_envelope, to_record  # envelope.py, next to this file
from kafka import KafkaProducer

import kafkalab
from kafkalab import new_topic
from kafkalab.lab import read_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")
CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")  # for reading back


def main() -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "task-events", partitions=3)
    events = TASK_EVENTS
    # --8<-- [start:produce]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","), **KAFKA_PYTHON_SECURITY)
    futures = []
    try:
        for event_type, entity_id, data in events:
            record = to_record(build_envelope(event_type, entity_id, data, source="task-api"))
            future = producer.send(
                topic,
                value=record["value"],
                key=record["key"],
                headers=record["headers"],
                timestamp_ms=record["timestamp_ms"],
            )
            futures.append(future)
        producer.flush(timeout=10)
        metadata = [future.get(timeout=10) for future in futures]  # raises if an envelope failed
    finally:
        producer.close(timeout=10)
    # --8<-- [end:produce]
    return {
        "events": events,
        "metadata": metadata,
        "read_back": read_topic(BOOTSTRAP_SERVERS, topic, config=CONFLUENT_SECURITY),
    }


if __name__ == "__main__":
    for msg in main()["read_back"]:
        print(msg.partition(), msg.key(), dict(msg.headers()), json.loads(msg.value())["event_type"])
