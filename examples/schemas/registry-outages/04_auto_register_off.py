"""auto.register.schemas=False: the producer only uses schemas someone registered before it ran."""

import json
import os
import uuid

from confluent_kafka import SerializingProducer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import StringSerializer

import kafkalab
from kafkalab.lab import watermarks

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
SCHEMA_REGISTRY_URL = os.environ.get("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7")
TOPIC = f"orders-noreg-{uuid.uuid4().hex[:8]}"

ORDER_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "OrderPlaced",
        "namespace": "shop.orders",
        "fields": [{"name": "order_id", "type": "string"}, {"name": "quantity", "type": "int"}],
    }
)


def make_producer(serializer_conf: dict) -> SerializingProducer:
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    return SerializingProducer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "key.serializer": StringSerializer(),
            "value.serializer": AvroSerializer(registry, ORDER_SCHEMA, conf=serializer_conf),
        }
    )


# --8<-- [start:no-auto-register]
LOOKUP_ONLY = {"auto.register.schemas": False}  # the schema must already be in its subject
LATEST_VERSION = {"auto.register.schemas": False, "use.latest.version": True}  # the subject's newest
# --8<-- [end:no-auto-register]


def produce_one(topic: str, serializer_conf: dict) -> list:
    producer = make_producer(serializer_conf)
    reports: list = []
    producer.produce(
        topic, key="o-1", value={"order_id": "o-1", "quantity": 1}, on_delivery=lambda e, m: reports.append((e, m))
    )
    assert producer.flush(30) == 0
    return reports


def register_at_deploy(topic: str) -> int:
    # --8<-- [start:register]
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    schema_id = registry.register_schema(f"{topic}-value", Schema(ORDER_SCHEMA, "AVRO"))
    # --8<-- [end:register]
    return schema_id


def main() -> None:
    kafkalab.create_topic(BOOTSTRAP_SERVERS, TOPIC)
    try:
        produce_one(TOPIC, LOOKUP_ONLY)
    except Exception as exc:
        print(f"before registration: {type(exc).__name__}: {exc}")
    print("records in the topic:", watermarks(BOOTSTRAP_SERVERS, TOPIC)[1])
    print("registered as id", register_at_deploy(TOPIC))
    for conf in (LOOKUP_ONLY, LATEST_VERSION):
        [(err, msg)] = produce_one(TOPIC, conf)
        print(conf, "->", "delivered" if err is None else err, "at offset", msg.offset())


if __name__ == "__main__":
    main()
