"""kafka-python has no registry serializers: Avro values in the registry's wire format with avro_wire.py."""

import os

import avro_wire  # avro_wire.py, next to this file
from kafka import KafkaProducer
from order_schema import ORDER_SCHEMA, ORDERS  # order_schema.py, next to this file

import kafkalab
from kafkalab.lab import read_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")
CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")  # for reading back
SCHEMA_REGISTRY_URL = os.environ.get("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7")


def produce(topic: str, orders: list[dict]) -> list:
    """The RecordMetadata of each order, in order."""
    # --8<-- [start:produce]
    subject = f"{topic}-value"  # what confluent-kafka's default TopicNameStrategy would use
    # encode everything first: a registry error or a bad value raises here, before any record is sent
    values = [avro_wire.encode(SCHEMA_REGISTRY_URL, subject, ORDER_SCHEMA, order) for order in orders]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **KAFKA_PYTHON_SECURITY, acks="all")
    try:
        futures = [
            producer.send(topic, key=order["order_id"].encode(), value=value)
            for order, value in zip(orders, values, strict=True)
        ]
        producer.flush(timeout=30)
        metadata = [future.get(timeout=30) for future in futures]
    finally:
        producer.close(timeout=10)
    # --8<-- [end:produce]
    return metadata


def main() -> None:
    topic = kafkalab.new_topic(BOOTSTRAP_SERVERS, "orders-avro-kafka-python")
    for md in produce(topic, ORDERS):
        print("delivered", md.topic, md.partition, md.offset)
    for record in read_topic(BOOTSTRAP_SERVERS, topic, config=CONFLUENT_SECURITY):
        print(record.key(), avro_wire.decode(SCHEMA_REGISTRY_URL, record.value()))


if __name__ == "__main__":
    main()
