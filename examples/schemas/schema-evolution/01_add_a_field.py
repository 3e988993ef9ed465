"""A backward-compatible change: OrderPlaced gains a field with a default. The registry accepts it under a
BACKWARD rule, old readers keep reading, and new readers read the old records."""

import json
import os
import uuid

from confluent_kafka import DeserializingConsumer, SerializingProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import StringDeserializer, StringSerializer

import kafkalab
from kafkalab.lab import read_with

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
SCHEMA_REGISTRY_URL = os.environ.get("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7")
TOPIC = f"orders-evolve-{uuid.uuid4().hex[:8]}"


def order_schema(*extra: dict) -> str:
    fields = [{"name": "order_id", "type": "string"}, {"name": "quantity", "type": "int"}, *extra]
    return json.dumps({"type": "record", "name": "OrderPlaced", "namespace": "shop.orders", "fields": fields})


# --8<-- [start:schemas]
ORDER_V1 = order_schema()
ORDER_V2 = order_schema({"name": "currency", "type": "string", "default": "EUR"})
# --8<-- [end:schemas]


def set_rule(topic: str, level: str = "BACKWARD") -> None:
    # --8<-- [start:rule]
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    registry.set_compatibility(f"{topic}-value", level)  # may come before the subject's first version
    # --8<-- [end:rule]


def produce(topic: str, schema: str, orders: list[dict]) -> list:
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    producer = SerializingProducer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "key.serializer": StringSerializer(),
            "value.serializer": AvroSerializer(registry, schema),
        }
    )
    reports: list = []
    for order in orders:
        producer.produce(topic, key=order["order_id"], value=order, on_delivery=lambda e, m: reports.append((e, m)))
    assert producer.flush(30) == 0, "records not delivered in 30 s"
    return reports


def read(topic: str, reader_schema: str | None, count: int) -> list[dict]:
    """The values of the topic's first `count` records, decoded into `reader_schema` (None: each record's own)."""
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    # --8<-- [start:reader]
    deserializer = AvroDeserializer(registry, schema_str=reader_schema)  # the shape this consumer's code expects
    # --8<-- [end:reader]
    consumer = DeserializingConsumer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "group.id": f"{topic}-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "key.deserializer": StringDeserializer(),
            "value.deserializer": deserializer,
        }
    )
    return [msg.value() for msg in read_with(consumer, topic, count)]


OLD_ORDERS = [{"order_id": "o-1", "quantity": 1}, {"order_id": "o-2", "quantity": 2}]
NEW_ORDERS = [{"order_id": "o-3", "quantity": 3, "currency": "USD"}]


def main() -> None:
    kafkalab.create_topic(BOOTSTRAP_SERVERS, TOPIC)
    produce(TOPIC, ORDER_V1, OLD_ORDERS)
    set_rule(TOPIC, "BACKWARD")
    produce(TOPIC, ORDER_V2, NEW_ORDERS)  # registers version 2: compatible, so accepted
    total = len(OLD_ORDERS) + len(NEW_ORDERS)
    print("an old consumer (v1) reads:", read(TOPIC, ORDER_V1, total))
    print("a new consumer (v2) reads: ", read(TOPIC, ORDER_V2, total))


if __name__ == "__main__":
    main()
