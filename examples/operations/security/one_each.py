"""What every example of this folder does with its three producers: one record from each client, the offset
each was written at. The configurations the page shows are in the examples; this is the common sending."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from confluent_kafka import Producer
from kafka import KafkaProducer


def write_one_each(
    topic: str,
    confluent_kafka: Callable[[], Producer],
    kafka_python: Callable[[], KafkaProducer],
    aiokafka: Callable[[], AIOKafkaProducer],
) -> dict[str, int]:
    offsets = {}
    producer = confluent_kafka()
    reports = []
    producer.produce(topic, b"confluent-kafka", on_delivery=lambda err, msg: reports.append((err, msg)))
    producer.flush(30)
    err, msg = reports[0]
    if err is not None:
        raise RuntimeError(err)
    offsets["confluent-kafka"] = msg.offset()
    sync = kafka_python()
    try:
        offsets["kafka-python"] = sync.send(topic, b"kafka-python").get(timeout=30).offset
    finally:
        sync.close(timeout=10)
    offsets["aiokafka"] = asyncio.run(_aiokafka_send(aiokafka, topic))
    return offsets


async def _aiokafka_send(aiokafka: Callable[[], AIOKafkaProducer], topic: str) -> int:
    producer = aiokafka()
    await asyncio.wait_for(producer.start(), 30)
    try:
        return (await asyncio.wait_for(producer.send_and_wait(topic, b"aiokafka"), 30)).offset
    finally:
        await producer.stop()
