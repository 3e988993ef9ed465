"""Protobuf values through the schema registry: produce with ProtobufSerializer, read back with ProtobufDeserializer.

The OrderPlaced class is built at run time from its descriptor, as protoc would generate it from
`message OrderPlaced { string order_id = 1; int32 quantity = 2; }` in package shop.orders."""

import os
import uuid

from confluent_kafka import Consumer, DeserializingConsumer, SerializingProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import StringDeserializer, StringSerializer
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

import kafkalab
from kafkalab.lab import read_with

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
SCHEMA_REGISTRY_URL = os.environ.get("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7")
TOPIC = f"orders-protobuf-{uuid.uuid4().hex[:8]}"


# --8<-- [start:schema]
def order_placed_class():
    """The message class protoc would generate for shop/orders.proto."""
    field = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(name="shop/orders.proto", package="shop.orders", syntax="proto3")
    message = proto.message_type.add(name="OrderPlaced")
    message.field.add(name="order_id", number=1, type=field.TYPE_STRING, label=field.LABEL_OPTIONAL)
    message.field.add(name="quantity", number=2, type=field.TYPE_INT32, label=field.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.orders.OrderPlaced"))


OrderPlaced = order_placed_class()
# --8<-- [end:schema]
ORDERS = [OrderPlaced(order_id=f"o-{i}", quantity=i + 1) for i in range(3)]


def produce(topic: str, orders: list) -> list:
    # --8<-- [start:produce]
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    producer = SerializingProducer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "key.serializer": StringSerializer(),
            "value.serializer": ProtobufSerializer(OrderPlaced, registry, {"use.deprecated.format": False}),
        }
    )
    reports = []
    for order in orders:
        producer.produce(
            topic,
            key=order.order_id,
            value=order,
            on_delivery=lambda err, msg: reports.append((err, msg)),
        )
    remaining = producer.flush(30)
    # --8<-- [end:produce]
    assert remaining == 0, f"{remaining} records not delivered in 30 s"
    return reports


def consume(topic: str, count: int, raw: bool = False) -> list:
    """Read `count` records from the start: raw bytes, or decoded by the deserializer."""
    group = f"{topic}-{'raw' if raw else 'protobuf'}"
    base = {"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "group.id": group, "auto.offset.reset": "earliest"}
    if raw:
        consumer = Consumer(base)
    else:
        # --8<-- [start:consume]
        consumer = DeserializingConsumer(
            {
                **base,
                "key.deserializer": StringDeserializer(),
                "value.deserializer": ProtobufDeserializer(OrderPlaced, {"use.deprecated.format": False}),
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
