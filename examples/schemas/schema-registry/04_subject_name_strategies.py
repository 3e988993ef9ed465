"""Two event types on one topic, produced under each subject name strategy: which subjects appear."""

import json
import os
import uuid

from confluent_kafka import SerializingProducer
from confluent_kafka.schema_registry import (
    SchemaRegistryClient,
    record_subject_name_strategy,
    topic_record_subject_name_strategy,
    topic_subject_name_strategy,
)
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import StringSerializer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
SCHEMA_REGISTRY_URL = os.environ.get("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7")
TOPIC = f"orders-{uuid.uuid4().hex[:8]}"


def record(name: str, fields: list[tuple[str, str]]) -> str:
    return json.dumps(
        {
            "type": "record",
            "name": name,
            "namespace": "shop.orders",
            "fields": [{"name": n, "type": t} for n, t in fields],
        }
    )


ORDER_PLACED = record("OrderPlaced", [("order_id", "string"), ("quantity", "int")])
ORDER_CANCELLED = record("OrderCancelled", [("order_id", "string"), ("reason", "string")])
STRATEGIES = {
    "TopicNameStrategy": topic_subject_name_strategy,
    "RecordNameStrategy": record_subject_name_strategy,
    "TopicRecordNameStrategy": topic_record_subject_name_strategy,
}


def produce_both_types(topic: str, strategy) -> list:
    """One OrderPlaced and one OrderCancelled to the same topic; the delivery reports."""
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    # --8<-- [start:strategy]
    conf = {"subject.name.strategy": strategy}
    placed = AvroSerializer(registry, ORDER_PLACED, conf=conf)
    cancelled = AvroSerializer(registry, ORDER_CANCELLED, conf=conf)
    # --8<-- [end:strategy]
    reports = []
    events = [
        (placed, {"order_id": "o-1", "quantity": 2}),
        (cancelled, {"order_id": "o-1", "reason": "out of stock"}),
    ]
    for serializer, value in events:
        producer = SerializingProducer(
            {
                "bootstrap.servers": BOOTSTRAP_SERVERS,
                **SECURITY,
                "key.serializer": StringSerializer(),
                "value.serializer": serializer,
            }
        )
        producer.produce(topic, key=value["order_id"], value=value, on_delivery=lambda e, m: reports.append((e, m)))
        assert producer.flush(30) == 0
    return reports


def subjects_after(topic: str, strategy) -> list[str]:
    """Every subject the registry knows once this topic's two event types were produced."""
    produce_both_types(topic, strategy)
    return SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL}).get_subjects()


def main() -> None:
    for name, strategy in STRATEGIES.items():
        topic = f"{TOPIC}-{name.lower()}"
        kafkalab.create_topic(BOOTSTRAP_SERVERS, topic)
        subjects = subjects_after(topic, strategy)
        print(name, [s for s in subjects if topic in s or s.startswith("shop.orders.")])


if __name__ == "__main__":
    main()
