"""Cancelling the await of a send does not take the record back."""

import asyncio
import contextlib
import os

from aiokafka import AIOKafkaProducer
from confluent_kafka.aio import AIOProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
AIOKAFKA_SECURITY = kafkalab.client_settings("aiokafka")
CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")


async def aioproducer_cancelled(topic: str) -> bool:
    # --8<-- [start:aioproducer]
    async with AIOProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **CONFLUENT_SECURITY}) as producer:
        delivered = await producer.produce(topic, value=b"cancelled by a timeout")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(delivered, timeout=0.1)  # the client gave up waiting
    # --8<-- [end:aioproducer]
    return delivered.cancelled()


async def aiokafka_cancelled(topic: str) -> bool:
    # --8<-- [start:aiokafka]
    async with AIOKafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **AIOKAFKA_SECURITY, linger_ms=500) as producer:
        await producer.partitions_for(topic)  # metadata known: send() appends at once
        request = asyncio.create_task(producer.send_and_wait(topic, value=b"cancelled by a timeout"))
        await asyncio.sleep(0.05)
        request.cancel()  # the HTTP request was cancelled while it awaited the answer
        with contextlib.suppress(asyncio.CancelledError):
            await request
    # --8<-- [end:aiokafka]
    return request.cancelled()


def main(topic: str) -> bool:
    return asyncio.run(aioproducer_cancelled(topic))


if __name__ == "__main__":
    print(main("asyncio-pitfalls"))
