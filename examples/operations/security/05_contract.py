"""The connection contract: the same code reaches a plaintext lab cluster or a reader's secured one.
$KAFKA_BOOTSTRAP_SERVERS names the cluster; $KAFKA_CLIENT_CONFIG, when set, a Java-style properties file
of its security settings, translated for each client by kafkalab.client_settings."""

import asyncio
import os

from aiokafka import AIOKafkaProducer
from confluent_kafka import Producer
from kafka import KafkaProducer

from kafkalab import client_settings

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")


def producers() -> tuple[Producer, KafkaProducer, AIOKafkaProducer]:
    # --8<-- [start:contract]
    confluent = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **client_settings("confluent-kafka")})
    sync = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **client_settings("kafka-python"))
    async_ = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **client_settings("aiokafka"))
    # --8<-- [end:contract]
    return confluent, sync, async_


def main(topic: str) -> dict[str, int]:
    async def run() -> dict[str, int]:
        confluent, sync, async_ = producers()
        offsets = {}
        reports = []
        confluent.produce(topic, b"confluent-kafka", on_delivery=lambda err, msg: reports.append((err, msg)))
        confluent.flush(30)
        if reports[0][0] is not None:
            raise RuntimeError(reports[0][0])
        offsets["confluent-kafka"] = reports[0][1].offset()
        try:
            offsets["kafka-python"] = sync.send(topic, b"kafka-python").get(timeout=30).offset
        finally:
            sync.close(timeout=10)
        await asyncio.wait_for(async_.start(), 30)
        try:
            offsets["aiokafka"] = (await asyncio.wait_for(async_.send_and_wait(topic, b"aiokafka"), 30)).offset
        finally:
            await async_.stop()
        return offsets

    return asyncio.run(run())


if __name__ == "__main__":
    print(main(os.environ.get("TOPIC", "secured")))
