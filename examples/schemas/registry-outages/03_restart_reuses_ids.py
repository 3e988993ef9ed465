"""The lab's registry keeps its schemas in memory: after a restart it hands out id 1 again, to whatever
schema is registered first, and records already written with id 1 decode under the wrong schema."""

import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import DeserializingConsumer, SerializingProducer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import StringDeserializer, StringSerializer

import kafkalab
from kafkalab.lab import read_with

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
OWN_REGISTRY_PORT = int(os.environ.get("OUTAGE_REGISTRY_PORT", "9593"))
TOPIC = f"orders-restart-{uuid.uuid4().hex[:8]}"

ORDER_SCHEMA = """{"type": "record", "name": "OrderPlaced", "namespace": "shop.orders",
 "fields": [{"name": "order_id", "type": "string"}, {"name": "quantity", "type": "int"}]}"""
# another team's event: a string, then a number, like OrderPlaced (Avro writes int and long alike)
PAYMENT_SCHEMA = """{"type": "record", "name": "PaymentTaken", "namespace": "shop.payments",
 "fields": [{"name": "payment_id", "type": "string"}, {"name": "amount_cents", "type": "long"}]}"""


def story(topic: str, registry_url: str, restart_registry: Callable[[], object]) -> dict:
    """A producer registers OrderPlaced, the registry restarts, another service registers PaymentTaken,
    the producer carries on with its cached id, and a fresh consumer reads the topic."""
    registry = SchemaRegistryClient({"url": registry_url})
    producer = SerializingProducer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "key.serializer": StringSerializer(),
            "value.serializer": AvroSerializer(registry, ORDER_SCHEMA),
        }
    )
    producer.produce(topic, key="o-1", value={"order_id": "o-1", "quantity": 2})
    assert producer.flush(30) == 0
    order_id = registry.get_latest_version(f"{topic}-value").schema_id
    # --8<-- [start:restart]
    restart_registry()  # in-memory storage: every subject and id is gone
    other_service = SchemaRegistryClient({"url": registry_url})
    payment_id = other_service.register_schema("payments-value", Schema(PAYMENT_SCHEMA, "AVRO"))
    producer.produce(topic, key="o-2", value={"order_id": "o-2", "quantity": 3})  # still the cached id
    # --8<-- [end:restart]
    assert producer.flush(30) == 0
    reader = DeserializingConsumer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "group.id": f"{topic}-fresh",
            "auto.offset.reset": "earliest",
            "key.deserializer": StringDeserializer(),
            "value.deserializer": AvroDeserializer(SchemaRegistryClient({"url": registry_url})),
        }
    )
    read = read_with(reader, topic, 2)
    return {"order_id": order_id, "payment_id": payment_id, "read": read}


def main() -> None:
    kafkalab.create_topic(BOOTSTRAP_SERVERS, TOPIC)
    with kafkalab.SchemaRegistry.launch(OWN_REGISTRY_PORT, Path(tempfile.mkdtemp(prefix="registry-"))) as registry:
        seen = story(TOPIC, registry.url, registry.restart)
    print(f"OrderPlaced got id {seen['order_id']}; after the restart PaymentTaken got id {seen['payment_id']}")
    for msg in seen["read"]:
        print("a fresh consumer read", msg.key(), "as", msg.value())


if __name__ == "__main__":
    main()
