"""aiokafka 0.14 against Kafka 4.3.1: where its docstrings and its behaviour part."""

import asyncio
import importlib.util
import inspect

import pytest
from aiokafka import AIOKafkaProducer

from kafkalab.lab import read_partition, wait_until


def test_aiokafka_acks_0_returns_no_metadata_although_its_docstring_promises_offset_minus_one(
    kafka_topic, kafka_bootstrap
):
    docstring = " ".join(inspect.getdoc(AIOKafkaProducer).split())
    assert "The offset given back for each record will always be set to -1." in docstring

    async def send() -> object:
        async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks=0) as producer:
            return await asyncio.wait_for(producer.send_and_wait(kafka_topic, value=b"order-1"), 15)

    assert asyncio.run(send()) is None  # no RecordMetadata: `metadata.offset` raises AttributeError
    records = wait_until(lambda: read_partition(kafka_bootstrap, kafka_topic), 15, "the acks=0 record")
    assert [r.value() for r in records] == [b"order-1"]  # the record itself was written


@pytest.mark.parametrize("codec", ["snappy", "lz4", "zstd"])
def test_aiokafka_compression_other_than_gzip_needs_an_extra(codec):
    assert importlib.util.find_spec("cramjam") is None  # aiokafka installed without extras, as pyproject pins it
    assert f"``{codec}``" in inspect.getdoc(AIOKafkaProducer)  # listed as a valid value

    async def create() -> None:
        AIOKafkaProducer(bootstrap_servers="localhost:1", compression_type=codec)

    with pytest.raises(RuntimeError, match=f"Compression library for {codec} not found"):
        asyncio.run(create())


def test_aiokafka_gzip_works_against_kafka_4(kafka_topic, kafka_bootstrap):
    async def send() -> int:
        async with AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, compression_type="gzip", acks="all") as p:
            return (await asyncio.wait_for(p.send_and_wait(kafka_topic, value=b"v" * 1000), 15)).offset

    assert asyncio.run(send()) == 0
    assert [r.value() for r in read_partition(kafka_bootstrap, kafka_topic)] == [b"v" * 1000]
