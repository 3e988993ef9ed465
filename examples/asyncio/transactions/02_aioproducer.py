"""Transactions with confluent-kafka's AIOProducer: its async wrappers, and its Python-side buffer inside them."""

import asyncio
import os
import uuid

from confluent_kafka import Message
from confluent_kafka.aio import AIOProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


async def transactional_producer(transactional_id: str) -> AIOProducer:
    # --8<-- [start:init]
    producer = AIOProducer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "transactional.id": transactional_id})
    await producer.init_transactions(30)  # in a pool thread: the loop keeps running
    # --8<-- [end:init]
    return producer


async def commit_order(
    producer: AIOProducer, orders: str, audit: str, order_id: bytes, order: bytes
) -> list[asyncio.Future[Message]]:
    # --8<-- [start:commit]
    await producer.begin_transaction()
    delivered = [
        await producer.produce(orders, key=order_id, value=order),  # still in the Python-side buffer
        await producer.produce(audit, key=order_id, value=b"accepted " + order_id),
    ]
    await producer.commit_transaction(30)  # flushes the buffer and librdkafka, then commits
    # --8<-- [end:commit]
    return delivered


async def abort_order(producer: AIOProducer, orders: str, audit: str, order_id: bytes, order: bytes) -> None:
    # --8<-- [start:abort]
    await producer.begin_transaction()
    await producer.produce(orders, key=order_id, value=order)
    await producer.produce(audit, key=order_id, value=b"accepted " + order_id)
    await producer.abort_transaction(30)  # flushes too: the records reach the log, marked aborted
    # --8<-- [end:abort]


async def run(transactional_id: str) -> tuple[list[bool], dict[str, list[bytes]]]:
    orders = kafkalab.new_topic(BOOTSTRAP_SERVERS, "aioproducer-txn-orders")
    audit = kafkalab.new_topic(BOOTSTRAP_SERVERS, "aioproducer-txn-audit")
    producer = await transactional_producer(transactional_id)
    try:
        delivered = await commit_order(producer, orders, audit, b"order-1", b'{"qty": 5}')
        settled = [f.done() and f.exception() is None for f in delivered]
        await abort_order(producer, orders, audit, b"order-2", b'{"qty": 7}')
    finally:
        await producer.close()
    return settled, {"orders": orders, "audit": audit}


def main(transactional_id: str = "order-processor-1") -> tuple[list[bool], dict[str, str]]:
    return asyncio.run(run(f"{transactional_id}-{uuid.uuid4().hex[:8]}"))


if __name__ == "__main__":
    print(main())
