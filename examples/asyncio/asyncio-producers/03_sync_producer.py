"""The synchronous confluent-kafka Producer used from asyncio: a poll thread serves the delivery reports,
each one settles an asyncio future through call_soon_threadsafe, and flush() runs off the loop."""

import asyncio
import os
import threading
import time

from confluent_kafka import KafkaException, Producer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


# --8<-- [start:bridge]
class LoopProducer:
    """A confluent-kafka Producer whose deliveries are asyncio futures. Create it inside the running loop."""

    def __init__(self, config: dict, max_wait: float = 30.0) -> None:
        self._loop = asyncio.get_running_loop()
        self._producer = Producer(config)
        self._max_wait = max_wait
        self._polling = True
        self._poller = threading.Thread(target=self._poll, name="delivery-reports", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while self._polling:
            self._producer.poll(0.1)  # delivery callbacks run here, on this thread

    def _settle(self, future: asyncio.Future, err, msg) -> None:  # runs on the loop
        if future.cancelled():
            return
        if err is None:
            future.set_result(msg)
        else:
            future.set_exception(KafkaException(err))

    async def send(self, topic: str, value: bytes, **kwargs) -> asyncio.Future:
        future = self._loop.create_future()

        def on_delivery(err, msg):  # on the poll thread: hand the outcome to the loop
            self._loop.call_soon_threadsafe(self._settle, future, err, msg)

        deadline = time.monotonic() + self._max_wait
        while True:
            try:
                self._producer.produce(topic, value=value, on_delivery=on_delivery, **kwargs)
                return future
            except BufferError:  # the queue is full: let the poll thread free room, without blocking the loop
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.01)

    async def close(self, timeout: float = 10.0) -> int:
        """Flushes off the loop, stops the poll thread; returns how many records were still queued."""
        remaining = await self._loop.run_in_executor(None, self._producer.flush, timeout)
        self._polling = False
        await self._loop.run_in_executor(None, self._poller.join, 5)
        return remaining


# --8<-- [end:bridge]


async def send_one(topic: str) -> int:
    # --8<-- [start:one]
    producer = LoopProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    try:
        message = await (await producer.send(topic, b"order-1", key=b"customer-7"))
    finally:
        await producer.close()
    # --8<-- [end:one]
    return message.offset()


async def send_many(topic: str, count: int = 100) -> list[int]:
    # --8<-- [start:many]
    producer = LoopProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    try:
        pending = [await producer.send(topic, f"event-{i}".encode()) for i in range(count)]
        messages = await asyncio.gather(*pending)
    finally:
        await producer.close()
    # --8<-- [end:many]
    return [m.offset() for m in messages]


async def send_too_large(topic: str) -> KafkaException:
    """`topic` refuses records over 1 KiB (max.message.bytes=1024)."""
    # --8<-- [start:error]
    producer = LoopProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    try:
        await (await producer.send(topic, b"x" * 4000))
    except KafkaException as exc:
        return exc
    finally:
        await producer.close()
    # --8<-- [end:error]
    raise AssertionError("the broker accepted a record over the topic's limit")


async def close_delivers(topic: str, count: int = 100) -> tuple[int, list[bool]]:
    # --8<-- [start:close]
    producer = LoopProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "linger.ms": 1000})
    pending = [await producer.send(topic, f"event-{i}".encode()) for i in range(count)]
    remaining = await producer.close(timeout=10)  # 0: nothing left in the queue
    await asyncio.sleep(0)  # let the loop run the last call_soon_threadsafe callbacks
    # --8<-- [end:close]
    return remaining, [future.done() and future.exception() is None for future in pending]


def main(topic: str) -> int:
    return asyncio.run(send_one(topic))


if __name__ == "__main__":
    print(main("asyncio-producers"))
