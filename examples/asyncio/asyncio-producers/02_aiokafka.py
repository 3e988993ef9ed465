"""aiokafka's AIOKafkaProducer: a pure-asyncio client whose sender task runs on the event loop."""

import asyncio
import os

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("aiokafka")


async def send_one(topic: str) -> int:
    # --8<-- [start:one]
    async with AIOKafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY) as producer:  # start() ... stop()
        metadata = await producer.send_and_wait(topic, value=b"order-1", key=b"customer-7")
    # --8<-- [end:one]
    return metadata.offset


async def send_many(topic: str, count: int = 100) -> list[int]:
    # --8<-- [start:many]
    async with AIOKafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY) as producer:
        pending = [await producer.send(topic, value=f"event-{i}".encode()) for i in range(count)]
        results = await asyncio.gather(*pending)  # the sender task completes them: no flush needed
    # --8<-- [end:many]
    return [r.offset for r in results]


async def send_too_large(topic: str) -> KafkaError:
    """`topic` refuses records over 1 KiB (max.message.bytes=1024)."""
    # --8<-- [start:error]
    async with AIOKafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY) as producer:
        try:
            await producer.send_and_wait(topic, value=b"x" * 4000)
        except KafkaError as exc:  # MessageSizeTooLargeError, the broker's answer
            return exc
    # --8<-- [end:error]
    raise AssertionError("the broker accepted a record over the topic's limit")


async def stop_delivers(topic: str, count: int = 100) -> list[bool]:
    # --8<-- [start:close]
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY, linger_ms=1000)
    await producer.start()
    try:
        pending = [await producer.send(topic, value=f"event-{i}".encode()) for i in range(count)]
    finally:
        await producer.stop()  # sends what is still batched, waits for the answers, closes connections
    # --8<-- [end:close]
    return [future.done() and future.exception() is None for future in pending]


def main(topic: str) -> int:
    return asyncio.run(send_one(topic))


if __name__ == "__main__":
    print(main("asyncio-producers"))
