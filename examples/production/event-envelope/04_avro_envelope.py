"""The same envelope with a schema: Avro values through the schema registry, produced with confluent-kafka's
AvroSerializer; key, headers and timestamp as in the JSON version."""

import json
import os
from datetime import UTC, datetime

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from envelope import TASK_EVENTS, build_envelope, to_record  # envelope.py, next to this file

import kafkalab
from kafkalab import new_topic
from kafkalab.lab import read_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
SCHEMA_REGISTRY_URL = os.environ.get("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7")

# --8<-- [start:schema]
ENVELOPE_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "EventEnvelope",
        "namespace": "fieldguide.events",
        "fields": [
            {"name": "event_id", "type": "string"},
            {"name": "event_type", "type": "string"},
            {"name": "entity_id", "type": "string"},
            {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "source", "type": "string"},
            {"name": "data", "type": {"type": "map", "values": "string"}},
        ],
    }
)


def to_avro(envelope: dict, ctx) -> dict:
    """The envelope as the schema types it: occurred_at as an instant, not text."""
    return envelope | {"occurred_at": datetime.fromisoformat(envelope["occurred_at"])}


def from_avro(fields: dict, ctx) -> dict:
    """Back to the envelope of envelope.py, occurred_at as its ISO-8601 text."""
    occurred_at = fields["occurred_at"].astimezone(UTC).isoformat(timespec="milliseconds")
    return fields | {"occurred_at": occurred_at.replace("+00:00", "Z")}


# --8<-- [end:schema]


def main() -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "task-events-avro", partitions=3)
    events = TASK_EVENTS
    # --8<-- [start:produce]
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    avro = AvroSerializer(registry, ENVELOPE_SCHEMA, to_dict=to_avro)
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    reports, envelopes = [], []
    for event_type, entity_id, data in events:
        envelope = build_envelope(event_type, entity_id, data, source="task-api")
        record = to_record(envelope, serializer=lambda e: avro(e, context))
        producer.produce(
            topic,
            value=record["value"],
            key=record["key"],
            headers=record["headers"],
            timestamp=record["timestamp_ms"],
            on_delivery=lambda err, msg: reports.append((err, msg.partition(), msg.offset())),
        )
        producer.poll(0)
        envelopes.append(envelope)
    remaining = producer.flush(30)
    if remaining:
        raise TimeoutError(f"{remaining} envelopes have no delivery report after 30 s")
    # --8<-- [end:produce]
    return {
        "events": events,
        "envelopes": envelopes,
        "reports": reports,
        "read_back": read_topic(BOOTSTRAP_SERVERS, topic, config=SECURITY),
        "topic": topic,
    }


if __name__ == "__main__":
    for msg in main()["read_back"]:
        print(msg.partition(), msg.key(), dict(msg.headers()), len(msg.value()), "bytes")
