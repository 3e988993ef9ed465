"""AIOProducer's futures complete only when its Python-side buffer is handed to librdkafka and polled."""

import asyncio
import os
import time

from confluent_kafka.aio import AIOProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


async def one_await(topic: str) -> float:
    # --8<-- [start:one]
    async with AIOProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY}) as producer:
        started = time.monotonic()
        delivered = await producer.produce(topic, value=b"order-1")
        await asyncio.wait_for(delivered, timeout=10)  # no flush(): only the buffer's timer moves it
        waited = time.monotonic() - started
    # --8<-- [end:one]
    return waited


async def steady_traffic(topic: str, seconds: float = 4.0, every: float = 0.25) -> dict:
    # --8<-- [start:steady]
    async with AIOProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY}) as producer:
        pending, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:  # a record every 0.25 s, like a quiet web service
            pending.append(await producer.produce(topic, value=f"event-{len(pending)}".encode()))
            await asyncio.sleep(every)
        completed_during_traffic = sum(f.done() for f in pending)
        still_buffered = len(producer)
        await producer.flush(10)
        completed_after_flush = sum(f.done() for f in pending)
    # --8<-- [end:steady]
    return {
        "sent": len(pending),
        "during": completed_during_traffic,
        "buffered": still_buffered,
        "after_flush": completed_after_flush,
    }


def main(topic: str) -> float:
    return asyncio.run(one_await(topic))


if __name__ == "__main__":
    print(main("asyncio-pitfalls"))
