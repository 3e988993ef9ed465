"""An incompatible change under a BACKWARD rule: the registry refuses it, whether the serializer registers
it inside produce() or a deploy step calls register_schema(), and no record is written."""

import json
import os
import uuid

from confluent_kafka import SerializingProducer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.serialization import StringSerializer

import kafkalab
from kafkalab.lab import watermarks

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
SCHEMA_REGISTRY_URL = os.environ.get("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7")
TOPIC = f"orders-breaking-{uuid.uuid4().hex[:8]}"


def avro(*fields: tuple) -> str:
    return json.dumps(
        {
            "type": "record",
            "name": "OrderPlaced",
            "namespace": "shop.orders",
            "fields": [{"name": n, "type": t} for n, t in fields],
        }
    )


def json_schema(quantity_type: str) -> str:
    return json.dumps(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "OrderPlaced",
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "quantity": {"type": quantity_type}},
            "required": ["order_id", "quantity"],
        }
    )


def proto(quantity_type: str) -> str:
    return (
        'syntax = "proto3";\npackage shop.orders;\n'
        f"message OrderPlaced {{\n  string order_id = 1;\n  {quantity_type} quantity = 2;\n}}\n"
    )


# each format: (the schema in use, a change that breaks BACKWARD)
SCHEMAS = {
    # --8<-- [start:breaking]
    # Avro: a new field without a default (a new reader could not read the old records)
    "AVRO": (avro(("order_id", "string"), ("quantity", "int")),
             avro(("order_id", "string"), ("quantity", "int"), ("customer_id", "string"))),
    # JSON Schema and Protobuf: quantity changes type
    "JSON": (json_schema("integer"), json_schema("string")),
    "PROTOBUF": (proto("int32"), proto("string")),
    # --8<-- [end:breaking]
}  # fmt: skip


def serializer(fmt: str, schema: str, registry: SchemaRegistryClient):
    return AvroSerializer(registry, schema) if fmt == "AVRO" else JSONSerializer(schema, registry)


def produce(topic: str, fmt: str, schema: str, value: dict) -> list:
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    # --8<-- [start:produce]
    producer = SerializingProducer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "key.serializer": StringSerializer(),
            "value.serializer": serializer(fmt, schema, registry),  # auto.register.schemas: the default, True
        }
    )
    reports: list = []
    producer.produce(topic, key=value["order_id"], value=value, on_delivery=lambda e, m: reports.append((e, m)))
    # --8<-- [end:produce]
    assert producer.flush(30) == 0
    return reports


def start_subject(topic: str, fmt: str) -> str:
    """Register the format's first schema under the topic's subject and give the subject a BACKWARD rule."""
    subject = f"{topic}-value"
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    registry.register_schema(subject, Schema(SCHEMAS[fmt][0], fmt))
    registry.set_compatibility(subject, "BACKWARD")
    return subject


def register_breaking(topic: str, fmt: str, check_first: bool = True) -> int:
    # --8<-- [start:register]
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    subject = f"{topic}-value"
    breaking = Schema(SCHEMAS[fmt][1], fmt)
    if check_first and not registry.test_compatibility_all_versions(subject, breaking):
        raise RuntimeError(f"{fmt}: not compatible with the versions the rule of {subject} checks")
    return registry.register_schema(subject, breaking)  # unchecked: SchemaRegistryError, HTTP 409
    # --8<-- [end:register]


def main() -> None:
    kafkalab.create_topic(BOOTSTRAP_SERVERS, TOPIC)
    start_subject(TOPIC, "AVRO")
    produce(TOPIC, "AVRO", SCHEMAS["AVRO"][0], {"order_id": "o-1", "quantity": 1})
    try:
        produce(TOPIC, "AVRO", SCHEMAS["AVRO"][1], {"order_id": "o-2", "quantity": 2, "customer_id": "c-9"})
    except Exception as exc:
        print(f"produce() raised {type(exc).__name__}: {exc}")
    print("records in the topic:", watermarks(BOOTSTRAP_SERVERS, TOPIC)[1])


if __name__ == "__main__":
    main()
