"""The three asyncio producers side by side: one send, many, a refused record, shutdown, defaults."""

import asyncio
import inspect

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from confluent_kafka import KafkaError
from confluent_kafka.aio import AIOProducer

from kafkalab import client_settings, new_topic
from kafkalab.lab import read_partition, wait_until

SECURITY = client_settings("confluent-kafka")

CLIENTS = ["01_aioproducer.py", "02_aiokafka.py", "03_sync_producer.py"]


def read_back(bootstrap: str, topic: str, count: int) -> list:
    """The partition once `count` records are readable: with acks=1 (aiokafka's default) the answer can
    come before the followers have the record, and consumers only see records below the high watermark."""
    return wait_until(lambda: (r := read_partition(bootstrap, topic)) and len(r) >= count and r, 15, f"{count} records")


@pytest.fixture
def small_topic(kafka_bootstrap):
    return new_topic(kafka_bootstrap, "asyncio-small", config={"max.message.bytes": "1024"})


@pytest.mark.parametrize("client", CLIENTS)
def test_one_send_awaited_is_in_the_log(example, client, kafka_topic, kafka_bootstrap):
    offset = example(client).main(kafka_topic)

    records = read_back(kafka_bootstrap, kafka_topic, 1)
    assert offset == 0
    assert [(r.key(), r.value(), r.offset()) for r in records] == [(b"customer-7", b"order-1", 0)]


@pytest.mark.parametrize("client", CLIENTS)
def test_many_sends_gathered_in_order(example, client, kafka_topic, kafka_bootstrap):
    offsets = asyncio.run(example(client).send_many(kafka_topic, 100))

    assert offsets == list(range(100))
    values = [r.value() for r in read_back(kafka_bootstrap, kafka_topic, 100)]
    assert values == [f"event-{i}".encode() for i in range(100)]


def test_aioproducer_refused_record_raises_from_its_future(example, small_topic, kafka_bootstrap):
    exc = asyncio.run(example("01_aioproducer.py").send_too_large(small_topic))

    assert exc.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE
    assert read_partition(kafka_bootstrap, small_topic) == []


def test_aiokafka_refused_record_raises_from_send_and_wait(example, small_topic, kafka_bootstrap):
    exc = asyncio.run(example("02_aiokafka.py").send_too_large(small_topic))

    assert isinstance(exc, MessageSizeTooLargeError)
    assert read_partition(kafka_bootstrap, small_topic) == []


def test_sync_producer_refused_record_raises_from_its_future(example, small_topic, kafka_bootstrap):
    exc = asyncio.run(example("03_sync_producer.py").send_too_large(small_topic))

    assert exc.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE
    assert read_partition(kafka_bootstrap, small_topic) == []


def test_aioproducer_close_delivers_everything(example, kafka_topic, kafka_bootstrap):
    settled = asyncio.run(example("01_aioproducer.py").close_delivers(kafka_topic, 100))

    assert settled == [True] * 100
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 100


def test_aiokafka_stop_delivers_everything(example, kafka_topic, kafka_bootstrap):
    settled = asyncio.run(example("02_aiokafka.py").stop_delivers(kafka_topic, 100))

    assert settled == [True] * 100  # linger_ms=1000 held them: stop() sent them at once
    assert len(read_back(kafka_bootstrap, kafka_topic, 100)) == 100


def test_sync_producer_close_delivers_everything(example, kafka_topic, kafka_bootstrap):
    remaining, settled = asyncio.run(example("03_sync_producer.py").close_delivers(kafka_topic, 100))

    assert remaining == 0
    assert settled == [True] * 100
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 100


def test_defaults_of_the_installed_clients(librdkafka_default):
    # AIOProducer hands the configuration to a confluent_kafka.Producer: librdkafka's defaults apply
    assert librdkafka_default("acks") == "-1"  # all
    assert librdkafka_default("enable.idempotence") == "false"
    assert librdkafka_default("max.in.flight.requests.per.connection") == "1000000"
    assert librdkafka_default("linger.ms") == "5"
    own = inspect.signature(AIOProducer.__init__).parameters  # and its own Python-side buffer in front
    assert (own["batch_size"].default, own["buffer_timeout"].default, own["max_workers"].default) == (1000, 1.0, 4)

    aiokafka = inspect.signature(AIOKafkaProducer.__init__).parameters
    assert aiokafka["enable_idempotence"].default is False
    assert aiokafka["linger_ms"].default == 0
    assert aiokafka["request_timeout_ms"].default == 40000

    async def effective_acks(**config) -> int:
        producer = AIOKafkaProducer(bootstrap_servers="localhost:1", **config)  # not started: no connection
        acks = producer._sender._acks
        producer._closed = True  # never started, nothing to stop
        return acks

    assert asyncio.run(effective_acks()) == 1  # acks=1 unless idempotence is on
    assert asyncio.run(effective_acks(enable_idempotence=True)) == -1


def test_aioproducer_refuses_headers(kafka_topic, kafka_bootstrap):
    async def with_headers() -> None:
        async with AIOProducer({"bootstrap.servers": kafka_bootstrap, **SECURITY}) as producer:
            await producer.produce(kafka_topic, value=b"v", headers=[("event_id", b"1")])

    with pytest.raises(NotImplementedError, match="Headers are not supported in AIOProducer"):
        asyncio.run(with_headers())
    assert read_partition(kafka_bootstrap, kafka_topic) == []
