"""Transactions with aiokafka: an order and its audit record, committed together or not at all."""

import asyncio
import os
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import IllegalOperation, ProducerFenced

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("aiokafka")


class OrderRejected(Exception):
    """Raised inside a transaction to make its context abort it."""


async def transactional_producer(transactional_id: str) -> AIOKafkaProducer:
    # --8<-- [start:init]
    producer = AIOKafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        **SECURITY,
        transactional_id=transactional_id,  # implies enable_idempotence=True and acks=all
        transaction_timeout_ms=60000,
    )
    await producer.start()  # also InitProducerId: fences any older producer with this transactional_id
    # --8<-- [end:init]
    return producer


async def commit_order(producer: AIOKafkaProducer, orders: str, audit: str, order_id: bytes, order: bytes) -> None:
    # --8<-- [start:commit]
    async with producer.transaction():  # begin_transaction() ... commit_transaction()
        await producer.send(orders, key=order_id, value=order)
        await producer.send(audit, key=order_id, value=b"accepted " + order_id)
    # --8<-- [end:commit]


async def abort_order(producer: AIOKafkaProducer, orders: str, audit: str, order_id: bytes, order: bytes) -> None:
    # --8<-- [start:abort]
    try:
        async with producer.transaction():
            await producer.send_and_wait(orders, key=order_id, value=order)  # in the log...
            await producer.send_and_wait(audit, key=order_id, value=b"accepted " + order_id)
            raise OrderRejected(order_id)  # ...and the context aborts: marked aborted there
    except OrderRejected:
        pass
    # --8<-- [end:abort]


# --8<-- [start:fenced]
FENCED = (ProducerFenced, IllegalOperation, AssertionError)  # the refusal itself, or the fatal state it left


async def commit_or_stop(producer: AIOKafkaProducer, orders: str, audit: str, order_id: bytes, order: bytes):
    try:
        await commit_order(producer, orders, audit, order_id, order)
    except FENCED as exc:
        await producer.stop()  # fenced: this instance can never send again
        return exc
    return None


# --8<-- [end:fenced]


async def read(topic: str, isolation_level: str, timeout: float = 10.0) -> list[bytes]:
    # --8<-- [start:read]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        **SECURITY,
        isolation_level=isolation_level,  # aiokafka's default is read_uncommitted
        enable_auto_commit=False,
    )
    # --8<-- [end:read]
    partition = TopicPartition(topic, 0)
    await consumer.start()
    try:
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        end = (await consumer.end_offsets([partition]))[partition]  # read_committed: the last stable offset
        values: list[bytes] = []
        async with asyncio.timeout(timeout):
            while await consumer.position(partition) < end:
                batches = await consumer.getmany(partition, timeout_ms=500)
                values += [record.value for record in batches.get(partition, [])]
        return values
    finally:
        await consumer.stop()


async def run(transactional_id: str) -> dict[str, list[bytes]]:
    orders = kafkalab.new_topic(BOOTSTRAP_SERVERS, "asyncio-txn-orders")
    audit = kafkalab.new_topic(BOOTSTRAP_SERVERS, "asyncio-txn-audit")
    producer = await transactional_producer(transactional_id)
    try:
        await commit_order(producer, orders, audit, b"order-1", b'{"qty": 5}')
        await abort_order(producer, orders, audit, b"order-2", b'{"qty": 7}')
    finally:
        await producer.stop()
    return {
        f"{name} {level}": await read(topic, level)
        for name, topic in (("orders", orders), ("audit", audit))
        for level in ("read_committed", "read_uncommitted")
    }


def main(transactional_id: str = "order-processor-1") -> dict[str, list[bytes]]:
    return asyncio.run(run(f"{transactional_id}-{uuid.uuid4().hex[:8]}"))


if __name__ == "__main__":
    for what, values in main().items():
        print(what, values)
