"""aiokafka has no registry serializers either: the same avro_wire.py, with the registry's round trip
taken off the event loop before the first send."""

import asyncio
import os

import avro_wire  # avro_wire.py, next to this file
from aiokafka import AIOKafkaProducer
from order_schema import ORDER_SCHEMA, ORDERS  # order_schema.py, next to this file

import kafkalab
from kafkalab.lab import read_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
AIOKAFKA_SECURITY = kafkalab.client_settings("aiokafka")
CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")  # for reading back
SCHEMA_REGISTRY_URL = os.environ.get("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7")


async def produce(topic: str, orders: list[dict]) -> list:
    """The RecordMetadata of each order, in order."""
    # --8<-- [start:produce]
    subject = f"{topic}-value"
    # avro_wire's registry call is blocking HTTP: make it once in a thread, then encode() hits its cache
    await asyncio.to_thread(avro_wire.schema_id, SCHEMA_REGISTRY_URL, subject, ORDER_SCHEMA)
    values = [avro_wire.encode(SCHEMA_REGISTRY_URL, subject, ORDER_SCHEMA, order) for order in orders]
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **AIOKAFKA_SECURITY, acks="all")
    try:
        await asyncio.wait_for(producer.start(), 30)  # inside try: a start that times out is stopped too
        sends = [
            await producer.send(topic, key=order["order_id"].encode(), value=value)
            for order, value in zip(orders, values, strict=True)
        ]
        metadata = await asyncio.wait_for(asyncio.gather(*sends), 30)
    finally:
        await producer.stop()
    # --8<-- [end:produce]
    return metadata


def main() -> None:
    topic = kafkalab.new_topic(BOOTSTRAP_SERVERS, "orders-avro-aiokafka")
    for md in asyncio.run(produce(topic, ORDERS)):
        print("delivered", md.topic, md.partition, md.offset)
    for record in read_topic(BOOTSTRAP_SERVERS, topic, config=CONFLUENT_SECURITY):
        print(record.key(), avro_wire.decode(SCHEMA_REGISTRY_URL, record.value()))


if __name__ == "__main__":
    main()
