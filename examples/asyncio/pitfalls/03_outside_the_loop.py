"""Both asyncio producers bind to the running loop when they are created."""

import asyncio
import os

from aiokafka import AIOKafkaProducer
from confluent_kafka.aio import AIOProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
AIOKAFKA_SECURITY = kafkalab.client_settings("aiokafka")
CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")


def created_at_import_time() -> dict[str, str]:
    errors = {}
    # --8<-- [start:outside]
    try:
        AIOProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **CONFLUENT_SECURITY})  # module level, no loop running
    except RuntimeError as exc:
        errors["AIOProducer"] = str(exc)
    try:
        AIOKafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **AIOKAFKA_SECURITY)
    except RuntimeError as exc:
        errors["AIOKafkaProducer"] = str(exc)
    # --8<-- [end:outside]
    return errors


async def make_producer() -> AIOProducer:
    return AIOProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **CONFLUENT_SECURITY})


async def use_from_another_loop(producer: AIOProducer, topic: str) -> dict:
    delivered = await producer.produce(topic, value=b"from the second loop")
    try:
        await asyncio.wait_for(asyncio.shield(delivered), timeout=3)
        completed = True
    except TimeoutError:
        completed = False
    buffered = len(producer)
    await producer.flush(10)
    return {"completed_in_3s": completed, "buffered": buffered, "after_flush": delivered.done()}


def second_loop(topic: str) -> dict:
    # --8<-- [start:second-loop]
    producer = asyncio.run(make_producer())  # a start-up step with its own asyncio.run()
    outcome = asyncio.run(use_from_another_loop(producer, topic))  # the service's loop
    # --8<-- [end:second-loop]
    asyncio.run(producer.close())
    return outcome


async def start_aiokafka() -> AIOKafkaProducer:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **AIOKAFKA_SECURITY)
    await producer.start()
    return producer


async def send_from_another_loop(producer: AIOKafkaProducer, topic: str) -> str:
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, value=b"from the second loop"), timeout=10)
        return "sent"
    except RuntimeError as exc:
        return str(exc)


def aiokafka_second_loop(topic: str) -> str:
    producer = asyncio.run(start_aiokafka())
    try:
        return asyncio.run(send_from_another_loop(producer, topic))
    finally:
        producer._closed = True  # its connections belong to the first loop, closed with it: nothing to stop


def main() -> dict[str, str]:
    return created_at_import_time()


if __name__ == "__main__":
    print(main())
