"""A producer that is never closed: the loop ends, and what the producer still held is gone."""

import asyncio
import os

from aiokafka import AIOKafkaProducer
from confluent_kafka.aio import AIOProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
AIOKAFKA_SECURITY = kafkalab.client_settings("aiokafka")
CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")


async def aioproducer_never_closed(topic: str, count: int = 100) -> int:
    # --8<-- [start:aioproducer]
    producer = AIOProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **CONFLUENT_SECURITY})
    for i in range(count):
        await producer.produce(topic, value=f"event-{i}".encode())
    return len(producer)  # the loop ends here: no close(), no flush()
    # --8<-- [end:aioproducer]


async def aiokafka_never_stopped(topic: str, count: int = 100) -> int:
    # --8<-- [start:aiokafka]
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **AIOKAFKA_SECURITY)
    await producer.start()
    for i in range(count):
        await producer.send(topic, value=f"event-{i}".encode())
    return count  # the loop ends here: no stop()
    # --8<-- [end:aiokafka]


def main(topic: str) -> int:
    return asyncio.run(aioproducer_never_closed(topic))


if __name__ == "__main__":
    print(main("asyncio-pitfalls"))
