"""AIOProducer completes its futures from a pool thread: asyncio's debug mode refuses that, and the awaiting
coroutine is never woken."""

import asyncio
import os

from confluent_kafka.aio import AIOProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


async def handler_awaiting_delivery(topic: str, watch: float = 3.0) -> dict:
    # --8<-- [start:debug]
    async with AIOProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY}) as producer:
        delivered = await producer.produce(topic, value=b"order-1")
        handler = asyncio.create_task(asyncio.wait_for(delivered, timeout=watch))  # a request awaiting it
        await asyncio.sleep(0.1)
        try:
            await producer.flush(10)  # serves the delivery report in a pool thread
            flush_error = None
        except RuntimeError as exc:  # debug mode: call_soon() from a thread other than the loop's
            flush_error = str(exc)
        await asyncio.sleep(0.5)
        outcome = {"flush_error": flush_error, "future_done": delivered.done(), "handler_woken": handler.done()}
        await asyncio.wait([handler])  # ends at the handler's own timeout, if nothing else wakes it
    # --8<-- [end:debug]
    return outcome


def main(topic: str, debug: bool = True) -> dict:
    return asyncio.run(handler_awaiting_delivery(topic), debug=debug)


if __name__ == "__main__":
    print(main("asyncio-debug-mode"))
