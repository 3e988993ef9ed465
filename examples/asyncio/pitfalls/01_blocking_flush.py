"""A synchronous flush() on the event loop stops the loop for as long as it waits; in an executor it does not."""

import asyncio
import os
import time
import uuid

from confluent_kafka import Producer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
TICK = 0.01  # the heartbeat's period: its lag is how late it wakes up


# --8<-- [start:lag]
async def heartbeat(stop: asyncio.Event, lags: list[float]) -> None:
    """Wakes every TICK seconds and records how late each wake-up is: the loop's lag."""
    while not stop.is_set():
        started = time.monotonic()
        await asyncio.sleep(TICK)
        lags.append(time.monotonic() - started - TICK)


# --8<-- [end:lag]


def queued_producer(topic: str, count: int) -> Producer:
    """A producer holding `count` records that linger.ms keeps from leaving on their own."""
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "linger.ms": 10000, "acks": "all"})
    if count == 0:  # one record the cluster cannot take: a topic that does not exist, for 1.5 s
        producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "message.timeout.ms": 1500})
        producer.produce(f"no-such-topic-{uuid.uuid4().hex[:8]}", value=b"waits for the cluster")
        return producer
    for i in range(count):
        while True:
            try:
                producer.produce(topic, value=f"event-{i:06d}".encode() * 10)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    return producer


async def measure(topic: str, count: int, in_executor: bool) -> dict:
    producer = queued_producer(topic, count)
    stop, lags = asyncio.Event(), []
    ticker = asyncio.create_task(heartbeat(stop, lags))
    await asyncio.sleep(0.1)  # the heartbeat is running
    started = time.monotonic()
    # --8<-- [start:flush]
    if in_executor:
        remaining = await asyncio.get_running_loop().run_in_executor(None, producer.flush, 30)
    else:
        remaining = producer.flush(30)  # blocks the loop: no other coroutine runs until it returns
    # --8<-- [end:flush]
    flushed_in = time.monotonic() - started
    await asyncio.sleep(0.05)
    stop.set()
    await ticker
    return {"remaining": remaining, "flush": flushed_in, "max_lag": max(lags), "ticks": len(lags)}


def main(topic: str, count: int = 50_000) -> dict:
    """`count` records flushed with the flush on the loop and in an executor; count=0: a flush that waits
    1.5 s for the cluster (a record whose topic does not exist)."""
    return {
        "on_loop": asyncio.run(measure(topic, count, in_executor=False)),
        "in_executor": asyncio.run(measure(topic, count, in_executor=True)),
    }


if __name__ == "__main__":
    print(main("asyncio-pitfalls"))
