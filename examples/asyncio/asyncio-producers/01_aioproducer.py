"""confluent-kafka's AIOProducer: produce() hands back a future, flush() makes it complete."""

import asyncio
import os

from confluent_kafka import KafkaException
from confluent_kafka.aio import AIOProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


async def send_one(topic: str) -> int:
    # --8<-- [start:one]
    async with AIOProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY}) as producer:
        delivered = await producer.produce(topic, value=b"order-1", key=b"customer-7")
        await producer.flush(10)  # hands the buffer to librdkafka and serves the delivery report
        message = await delivered
    # --8<-- [end:one]
    return message.offset()


async def send_many(topic: str, count: int = 100) -> list[int]:
    # --8<-- [start:many]
    async with AIOProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY}) as producer:
        pending = [await producer.produce(topic, value=f"event-{i}".encode()) for i in range(count)]
        await producer.flush(10)
        messages = await asyncio.gather(*pending)
    # --8<-- [end:many]
    return [m.offset() for m in messages]


async def send_too_large(topic: str) -> KafkaException:
    """`topic` refuses records over 1 KiB (max.message.bytes=1024)."""
    # --8<-- [start:error]
    async with AIOProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY}) as producer:
        delivered = await producer.produce(topic, value=b"x" * 4000)
        await producer.flush(10)
        try:
            await delivered
        except KafkaException as exc:  # the delivery report's KafkaError, raised by the future
            return exc
    # --8<-- [end:error]
    raise AssertionError("the broker accepted a record over the topic's limit")


async def close_delivers(topic: str, count: int = 100) -> list[bool]:
    # --8<-- [start:close]
    producer = AIOProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    try:
        pending = [await producer.produce(topic, value=f"event-{i}".encode()) for i in range(count)]
    finally:
        await producer.close()  # flushes the buffer and librdkafka's queue, then stops its threads
    # --8<-- [end:close]
    return [future.done() and future.exception() is None for future in pending]


def main(topic: str) -> int:
    return asyncio.run(send_one(topic))


if __name__ == "__main__":
    print(main("asyncio-producers"))
