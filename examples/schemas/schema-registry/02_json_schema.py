"""JSON Schema values through the schema registry: produce with JSONSerializer, read back with JSONDeserializer."""

import json
import os
import uuid

from confluent_kafka import Consumer, DeserializingConsumer, SerializingProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import StringDeserializer, StringSerializer

import kafkalab
from kafkalab.lab import read_with

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
SCHEMA_REGISTRY_URL = os.environ.get("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7")
TOPIC = f"orders-json-{uuid.uuid4().hex[:8]}"

# --8<-- [start:schema]
ORDER_SCHEMA = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "OrderPlaced",
        "type": "object",
        "properties": {
            "order_id": {"type": "string"},
            "quantity": {"type": "integer"},
        },
        "required": ["order_id", "quantity"],
    }
)
# --8<-- [end:schema]
ORDERS = [{"order_id": f"o-{i}", "quantity": i + 1} for i in range(3)]


def produce(topic: str, orders: list[dict]) -> list:
    # --8<-- [start:produce]
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    producer = SerializingProducer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "key.serializer": StringSerializer(),
            "value.serializer": JSONSerializer(ORDER_SCHEMA, registry),
        }
    )
    reports = []
    for order in orders:
        producer.produce(
            topic,
            key=order["order_id"],
            value=order,
            on_delivery=lambda err, msg: reports.append((err, msg)),
        )
    remaining = producer.flush(30)
    # --8<-- [end:produce]
    assert remaining == 0, f"{remaining} records not delivered in 30 s"
    return reports


def consume(topic: str, count: int, raw: bool = False) -> list:
    """Read `count` records from the start: raw bytes, or decoded by the deserializer."""
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    group = f"{topic}-{'raw' if raw else 'json'}"
    base = {"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "group.id": group, "auto.offset.reset": "earliest"}
    if raw:
        consumer = Consumer(base)
    else:
        # --8<-- [start:consume]
        consumer = DeserializingConsumer(
            {
                **base,
                "key.deserializer": StringDeserializer(),
                "value.deserializer": JSONDeserializer(ORDER_SCHEMA, schema_registry_client=registry),
            }
        )
        # --8<-- [end:consume]
    return read_with(consumer, topic, count)


def main() -> None:
    kafkalab.create_topic(BOOTSTRAP_SERVERS, TOPIC)
    reports = produce(TOPIC, ORDERS)
    for err, msg in reports:
        print("delivered" if err is None else f"failed: {err}", msg.topic(), msg.partition(), msg.offset())
    for msg in consume(TOPIC, len(ORDERS)):
        print(msg.key(), msg.value())


if __name__ == "__main__":
    main()
