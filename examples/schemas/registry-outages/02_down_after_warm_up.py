"""The registry goes down after the producer has its schema id: the producer and a warmed-up consumer
carry on; a fresh consumer cannot decode a single record."""

import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import DeserializingConsumer, SerializingProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import StringDeserializer, StringSerializer

import kafkalab
from kafkalab.lab import poll_more, read_with

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
# main() starts a registry of its own here, so that it can stop it
OWN_REGISTRY_PORT = int(os.environ.get("OUTAGE_REGISTRY_PORT", "9593"))
TOPIC = f"orders-outage-{uuid.uuid4().hex[:8]}"

ORDER_SCHEMA = """{"type": "record", "name": "OrderPlaced", "namespace": "shop.orders",
 "fields": [{"name": "order_id", "type": "string"}, {"name": "quantity", "type": "int"}]}"""


def orders(first: int, count: int) -> list[dict]:
    return [{"order_id": f"o-{i}", "quantity": i} for i in range(first, first + count)]


def produce(producer: SerializingProducer, topic: str, values: list[dict]) -> list:
    reports = []
    for order in values:
        producer.produce(topic, key=order["order_id"], value=order, on_delivery=lambda e, m: reports.append((e, m)))
    assert producer.flush(30) == 0, "records not delivered in 30 s"
    return reports


def consumer(registry_url: str, group: str) -> DeserializingConsumer:
    return DeserializingConsumer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "key.deserializer": StringDeserializer(),
            "value.deserializer": AvroDeserializer(SchemaRegistryClient({"url": registry_url})),
        }
    )


def story(topic: str, registry_url: str, stop_registry: Callable[[], None]) -> dict:
    """Warm up a producer and a consumer, stop the registry, then produce and read again."""
    producer = SerializingProducer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "key.serializer": StringSerializer(),
            "value.serializer": AvroSerializer(SchemaRegistryClient({"url": registry_url}), ORDER_SCHEMA),
        }
    )
    warm_consumer = consumer(registry_url, f"{topic}-warm")
    try:
        before = produce(producer, topic, orders(0, 3))
        warm_consumer.subscribe([topic])
        read_before = poll_more(warm_consumer, 3)  # its registry client now caches the schema by id
        # --8<-- [start:outage]
        stop_registry()
        after = produce(producer, topic, orders(3, 3))  # the serializer does not ask the registry again
        read_after = poll_more(warm_consumer, 3)  # nor does the deserializer: the id is cached
        # --8<-- [end:outage]
    finally:
        warm_consumer.close()
    # a fresh consumer (auto-commit on): two polls, each raising for one record it could not decode
    fresh = read_with(consumer(registry_url, f"{topic}-fresh"), topic, 2, timeout=90)
    return {"before": before, "after": after, "read_before": read_before, "read_after": read_after, "fresh": fresh}


def main() -> None:
    kafkalab.create_topic(BOOTSTRAP_SERVERS, TOPIC)
    with kafkalab.SchemaRegistry.launch(OWN_REGISTRY_PORT, Path(tempfile.mkdtemp(prefix="registry-"))) as registry:
        seen = story(TOPIC, registry.url, registry.stop)
    print("delivered with the registry down:", sum(err is None for err, _ in seen["after"]))
    print("the warmed-up consumer read:", [m.value() for m in seen["read_after"]])
    print("a fresh consumer got:", seen["fresh"][0])


if __name__ == "__main__":
    main()
