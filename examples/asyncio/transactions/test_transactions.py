"""Transactions from asyncio: aiokafka's and AIOProducer's commits and aborts read back both ways, aiokafka's
fencing, and what AIOProducer's Python-side buffer does at the transaction's edges."""

import asyncio
import inspect
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import IllegalOperation, ProducerFenced
from confluent_kafka import KafkaError, KafkaException

import kafkalab
from kafkalab.lab import read_partition, wait_until

COMMITTED, ABORTED = b'{"qty": 5}', b'{"qty": 7}'


def test_aiokafka_commit_visible_abort_hidden_from_read_committed(example):
    seen = example("01_aiokafka.py").main()

    assert seen["orders read_committed"] == [COMMITTED]
    assert seen["audit read_committed"] == [b"accepted order-1"]
    assert seen["orders read_uncommitted"] == [COMMITTED, ABORTED]  # aborted records stay in the log
    assert seen["audit read_uncommitted"] == [b"accepted order-1", b"accepted order-2"]


async def read_at_least(mod, topic: str, level: str, count: int) -> list[bytes]:
    """mod.read() until `count` records are readable (bounded): right after a commit the coordinator may not
    have written its markers yet, and read_committed stops at the last stable offset until it has."""
    async with asyncio.timeout(15):
        while len(values := await mod.read(topic, level)) < count:
            await asyncio.sleep(0.2)
    return values


def topics(bootstrap: str) -> tuple[str, str]:
    return kafkalab.new_topic(bootstrap, "asyncio-fence-orders"), kafkalab.new_topic(bootstrap, "asyncio-fence-audit")


def test_aiokafka_zombie_fenced_at_commit_raises_producer_fenced(example, kafka_bootstrap):
    mod = example("01_aiokafka.py")
    orders, audit = topics(kafka_bootstrap)

    async def scenario():
        transactional_id = f"order-processor-{uuid.uuid4().hex[:8]}"
        zombie = await mod.transactional_producer(transactional_id)
        await zombie.begin_transaction()
        await zombie.send_and_wait(orders, value=b"zombie")  # a transaction open, its record in the log
        successor = await mod.transactional_producer(transactional_id)  # same id: the zombie is fenced
        try:
            await zombie.send(audit, value=b"zombie audit")
            with pytest.raises(ProducerFenced) as fenced:
                await asyncio.wait_for(zombie.commit_transaction(), 30)
            with pytest.raises(AssertionError, match="FATAL_ERROR -> TransactionState.IN_TRANSACTION"):
                await zombie.begin_transaction()  # fatal: every later call fails
            await asyncio.wait_for(zombie.stop(), 10)
            await mod.commit_order(successor, orders, audit, b"order-4", b"successor")
        finally:
            await successor.stop()
        committed = await read_at_least(mod, orders, "read_committed", 1)
        return fenced.value, committed, await read_at_least(mod, orders, "read_uncommitted", 2)

    error, committed, everything = asyncio.run(scenario())
    assert isinstance(error, ProducerFenced)
    assert "There is a newer producer using the same transactional_id" in str(error)
    assert committed == [b"successor"]
    assert everything == [b"zombie", b"successor"]  # the zombie's record stays in the log, aborted


def test_aiokafka_zombie_fenced_before_commit_raises_something_else(example, kafka_bootstrap):
    mod = example("01_aiokafka.py")
    orders, audit = topics(kafka_bootstrap)

    async def scenario():
        transactional_id = f"order-processor-{uuid.uuid4().hex[:8]}"
        zombie = await mod.transactional_producer(transactional_id)
        successor = await mod.transactional_producer(transactional_id)
        try:
            await zombie.begin_transaction()
            await zombie.send(orders, value=b"zombie")  # adding the partition is refused in the background
            async with asyncio.timeout(15):
                while not zombie._txn_manager.is_fatal_error():  # the test waits until aiokafka has the refusal
                    await asyncio.sleep(0.05)
            with pytest.raises(IllegalOperation, match="Can't send messages while not in transaction"):
                await zombie.send(audit, value=b"zombie audit")
            with pytest.raises(AssertionError, match="Invalid state transition TransactionState.FATAL_ERROR"):
                await zombie.commit_transaction()
            await asyncio.wait_for(zombie.stop(), 10)
        finally:
            await successor.stop()
        return await mod.read(orders, "read_uncommitted")

    assert asyncio.run(scenario()) == []  # the refused partition was never added: nothing was written


def test_aiokafka_commit_or_stop_catches_the_fenced_zombie(example, kafka_bootstrap):
    mod = example("01_aiokafka.py")
    orders, audit = topics(kafka_bootstrap)

    async def scenario():
        transactional_id = f"order-processor-{uuid.uuid4().hex[:8]}"
        zombie = await mod.transactional_producer(transactional_id)
        successor = await mod.transactional_producer(transactional_id)
        try:
            error = await asyncio.wait_for(mod.commit_or_stop(zombie, orders, audit, b"order-3", b"zombie"), 30)
            stopped = zombie._closed
            await mod.commit_order(successor, orders, audit, b"order-4", b"successor")
        finally:
            await successor.stop()
        return error, stopped, await read_at_least(mod, orders, "read_committed", 1)

    error, stopped, committed = asyncio.run(scenario())
    assert isinstance(error, mod.FENCED), repr(error)
    assert stopped
    assert committed == [b"successor"]


def read(bootstrap: str, topic: str, level: str, count: int | None = None) -> list[bytes]:
    """The partition's values at `level`. Given `count`, waits (bounded) until that many are readable: the
    commit can return before the coordinator has written its markers, and until then the last stable offset,
    which is where read_committed (and the watermark query) stops, has not moved."""

    def values() -> list[bytes]:
        return [r.value() for r in read_partition(bootstrap, topic, config={"isolation.level": level})]

    if count is None:
        return values()
    return wait_until(lambda: (v := values()) and len(v) >= count and v, 15, f"{count} records at {level}")


def test_aioproducer_commit_and_abort_read_back_both_ways(example, kafka_bootstrap):
    settled, topics_ = example("02_aioproducer.py").main()

    assert settled == [True, True]  # commit_transaction() returned with both futures completed
    orders, audit = topics_["orders"], topics_["audit"]
    assert read(kafka_bootstrap, orders, "read_committed", 1) == [COMMITTED]
    assert read(kafka_bootstrap, audit, "read_committed", 1) == [b"accepted order-1"]
    assert read(kafka_bootstrap, orders, "read_uncommitted", 2) == [COMMITTED, ABORTED]  # abort flushed them first
    assert read(kafka_bootstrap, audit, "read_uncommitted", 2) == [b"accepted order-1", b"accepted order-2"]


def test_aioproducer_commit_right_after_produce_commits_the_buffered_records(example, kafka_topic, kafka_bootstrap):
    mod = example("02_aioproducer.py")

    async def scenario():
        producer = await mod.transactional_producer(f"buffered-{uuid.uuid4().hex[:8]}")
        try:
            await producer.begin_transaction()
            pending = [await producer.produce(kafka_topic, value=f"event-{i}".encode()) for i in range(10)]
            buffered = len(producer)
            await producer.commit_transaction(30)
            return buffered, [f.done() and f.exception() is None for f in pending]
        finally:
            await producer.close()

    buffered, settled = asyncio.run(scenario())
    assert buffered == 10  # all ten still in the Python-side buffer when commit_transaction() is called
    assert settled == [True] * 10
    assert read(kafka_bootstrap, kafka_topic, "read_committed", 10) == [f"event-{i}".encode() for i in range(10)]


def test_aioproducer_record_produced_before_begin_fails_when_begin_flushes_it(example, kafka_topic, kafka_bootstrap):
    mod = example("02_aioproducer.py")

    async def scenario():
        producer = await mod.transactional_producer(f"outside-{uuid.uuid4().hex[:8]}")
        try:
            delivered = await producer.produce(kafka_topic, value=b"outside any transaction")  # accepted
            await producer.begin_transaction()  # flushes the buffer first: the record leaves outside a transaction
            with pytest.raises(KafkaException) as refused:
                await asyncio.wait_for(delivered, 10)
            await producer.abort_transaction(30)
            return refused.value.args[0]
        finally:
            await producer.close()

    error = asyncio.run(scenario())
    assert error.code() == KafkaError._STATE
    assert "Erroneous state" in error.str()
    assert read(kafka_bootstrap, kafka_topic, "read_uncommitted") == []


def test_aiokafka_consumer_defaults_to_read_uncommitted():
    assert inspect.signature(AIOKafkaConsumer.__init__).parameters["isolation_level"].default == "read_uncommitted"
