"""The other direction: records written by confluent-kafka's AvroSerializer, read by kafka-python and
decoded by avro_wire.py."""

import os
import time

import avro_wire  # avro_wire.py, next to this file
from confluent_kafka import SerializingProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import StringSerializer
from kafka import KafkaConsumer, TopicPartition
from order_schema import ORDER_SCHEMA, ORDERS  # order_schema.py, next to this file

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")
SCHEMA_REGISTRY_URL = os.environ.get("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7")


def produce_with_serializer(topic: str, orders: list[dict]) -> list:
    """confluent-kafka's own way, as on the schema registry page: (error, message) per order."""
    producer = SerializingProducer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **CONFLUENT_SECURITY,
            "key.serializer": StringSerializer(),
            "value.serializer": AvroSerializer(SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL}), ORDER_SCHEMA),
        }
    )
    reports = []
    for order in orders:
        producer.produce(topic, key=order["order_id"], value=order, on_delivery=lambda e, m: reports.append((e, m)))
    if producer.flush(30):
        raise TimeoutError("records without a delivery report after 30 s")
    return reports


def consume(topic: str, count: int, timeout: float = 30.0) -> list[tuple[bytes, dict]]:
    """(key, decoded value) of the first `count` records of partition 0, waiting at most `timeout` s."""
    # --8<-- [start:consume]
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP_SERVERS, **KAFKA_PYTHON_SECURITY, enable_auto_commit=False)
    partition = TopicPartition(topic, 0)
    consumer.assign([partition])
    consumer.seek_to_beginning(partition)
    read, deadline = [], time.monotonic() + timeout
    try:
        while len(read) < count and time.monotonic() < deadline:
            for record in consumer.poll(timeout_ms=500).get(partition, []):
                read.append((record.key, avro_wire.decode(SCHEMA_REGISTRY_URL, record.value)))
    finally:
        consumer.close()
    # --8<-- [end:consume]
    return read


def main() -> None:
    topic = kafkalab.new_topic(BOOTSTRAP_SERVERS, "orders-avro-serializer")
    produce_with_serializer(topic, ORDERS)
    for key, value in consume(topic, len(ORDERS)):
        print(key, value)


if __name__ == "__main__":
    main()
