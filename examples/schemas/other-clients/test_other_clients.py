"""The registry's wire format without registry serializers: what kafka-python and aiokafka write with
avro_wire.py is read by confluent-kafka's AvroDeserializer as the same dicts, and what confluent-kafka's
AvroSerializer writes is decoded by avro_wire.py. A real registry (kafkalab's Apicurio Registry) throughout."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import httpx
import pytest
from confluent_kafka import Consumer, DeserializingConsumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import StringDeserializer

import kafkalab

SECURITY = kafkalab.client_settings("confluent-kafka")


@pytest.fixture(autouse=True)
def _siblings_importable(monkeypatch):
    """The examples import avro_wire.py and order_schema.py from their folder, as they do when run as scripts."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _needs_a_registry(schema_registry_url):
    """Every test here talks to a registry (the examples' own default URL too): none, and they skip, saying why."""


@pytest.fixture
def registry(schema_registry_url) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": schema_registry_url})


def read_with_avro_deserializer(bootstrap: str, registry: SchemaRegistryClient, topic: str, count: int) -> list:
    """(key, value) of the first `count` records of partition 0, decoded by confluent-kafka's AvroDeserializer."""
    consumer = DeserializingConsumer(
        {
            "bootstrap.servers": bootstrap,
            **SECURITY,
            "group.id": f"{topic}-avro",
            "enable.auto.commit": False,
            "key.deserializer": StringDeserializer(),
            "value.deserializer": AvroDeserializer(registry),
        }
    )
    return _poll(consumer, topic, count, lambda m: (m.key(), m.value()))


def read_raw(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, **SECURITY, "group.id": f"{topic}-raw", "enable.auto.commit": False}
    )
    return _poll(consumer, topic, count, lambda m: m.value())


def _poll(consumer, topic: str, count: int, pick, timeout: float = 30.0) -> list:
    consumer.assign([TopicPartition(topic, 0, 0)])
    got, deadline = [], time.monotonic() + timeout
    try:
        while len(got) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got.append(pick(msg))
    finally:
        consumer.close()
    return got


def _assert_confluent_reads_the_orders(module, bootstrap, registry, topic, metadata, offsets=range(3)):
    orders = module.ORDERS
    assert [(md.topic, md.partition, md.offset) for md in metadata] == [(topic, 0, o) for o in offsets]
    read = read_with_avro_deserializer(bootstrap, registry, topic, len(metadata))
    assert read[-len(orders) :] == [(o["order_id"], o) for o in orders]  # the same dicts, keys as text
    registered = registry.get_latest_version(f"{topic}-value")
    assert registered.version == 1 and registered.schema.schema_type == "AVRO"
    for raw in read_raw(bootstrap, topic, len(metadata)):
        assert raw[0] == 0 and struct.unpack(">I", raw[1:5])[0] == registered.schema_id


def test_kafka_python_records_are_read_by_the_avro_deserializer(example, kafka_topic, kafka_bootstrap, registry):
    module = example("01_kafka_python.py")
    metadata = module.produce(kafka_topic, module.ORDERS)
    _assert_confluent_reads_the_orders(module, kafka_bootstrap, registry, kafka_topic, metadata)
    module.main()


def test_aiokafka_records_are_read_by_the_avro_deserializer(example, kafka_topic, kafka_bootstrap, registry):
    import asyncio

    module = example("02_aiokafka.py")
    metadata = asyncio.run(module.produce(kafka_topic, module.ORDERS))
    _assert_confluent_reads_the_orders(module, kafka_bootstrap, registry, kafka_topic, metadata)
    module.main()


def test_both_clients_share_one_registered_schema(example, kafka_topic, kafka_bootstrap, registry):
    """The second client registers the same schema again: the registry answers the same id, no version 2."""
    import asyncio

    import avro_wire

    sync, async_ = example("01_kafka_python.py"), example("02_aiokafka.py")
    first = sync.produce(kafka_topic, sync.ORDERS)
    avro_wire.schema_id.cache_clear()  # as a second process would start: nothing cached
    second = asyncio.run(async_.produce(kafka_topic, async_.ORDERS))
    _assert_confluent_reads_the_orders(sync, kafka_bootstrap, registry, kafka_topic, first + second, range(6))
    assert registry.get_versions(f"{kafka_topic}-value") == [1]


def test_the_schema_id_is_one_registry_call_per_schema(example, kafka_topic, schema_registry_url, monkeypatch):
    import avro_wire

    module = example("01_kafka_python.py")
    assert module.SCHEMA_REGISTRY_URL == schema_registry_url
    calls = []
    real_post = httpx.post
    monkeypatch.setattr(avro_wire.httpx, "post", lambda *a, **kw: calls.append(a[0]) or real_post(*a, **kw))
    orders = [{"order_id": f"o-{i}", "quantity": i} for i in range(100)]
    metadata = module.produce(kafka_topic, orders)
    assert [md.offset for md in metadata] == list(range(100))
    assert len(calls) == 1 and calls[0].endswith(f"/subjects/{kafka_topic}-value/versions")


def test_a_value_that_breaks_the_schema_fails_in_encode(example, kafka_topic, schema_registry_url):
    import avro_wire

    module = example("01_kafka_python.py")
    subject = f"{kafka_topic}-value"
    with pytest.raises(TypeError, match="an integer is required on field quantity"):
        avro_wire.encode(schema_registry_url, subject, module.ORDER_SCHEMA, {"order_id": "o-9", "quantity": "two"})
    with pytest.raises(ValueError, match="no value and no default for quantity"):
        avro_wire.encode(schema_registry_url, subject, module.ORDER_SCHEMA, {"order_id": "o-9"})


def test_decode_refuses_bytes_that_are_not_the_wire_format(schema_registry_url):
    import avro_wire

    with pytest.raises(ValueError, match="magic byte 123"):
        avro_wire.decode(schema_registry_url, json.dumps({"order_id": "o-1"}).encode())


def test_avro_serializer_records_are_decoded_by_avro_wire(example, kafka_topic, registry):
    module = example("03_read_with_kafka_python.py")
    reports = module.produce_with_serializer(kafka_topic, module.ORDERS)
    assert [(err, msg.offset()) for err, msg in reports] == [(None, 0), (None, 1), (None, 2)]
    assert module.consume(kafka_topic, len(module.ORDERS)) == [(o["order_id"].encode(), o) for o in module.ORDERS]
    assert registry.get_versions(f"{kafka_topic}-value") == [1]
    consumer = Consumer(
        {"bootstrap.servers": module.BOOTSTRAP_SERVERS, **SECURITY, "group.id": f"{kafka_topic}-headers"}
    )
    assert _poll(consumer, kafka_topic, 3, lambda m: m.headers()) == [None] * 3, "the id is in the value, no headers"
    module.main()


def test_kafka_python_sends_nothing_when_one_value_fails_to_encode(example, kafka_topic, kafka_bootstrap):
    """Every value is encoded before the first send(), so a bad one in the middle leaves the topic empty."""
    module = example("01_kafka_python.py")
    orders = [module.ORDERS[0], {"order_id": "o-bad", "quantity": "two"}, *module.ORDERS[1:]]
    with pytest.raises(TypeError, match="an integer is required on field quantity"):
        module.produce(kafka_topic, orders)
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, **SECURITY, "group.id": f"{kafka_topic}-watermark"})
    try:
        assert consumer.get_watermark_offsets(TopicPartition(kafka_topic, 0), timeout=10) == (0, 0)
    finally:
        consumer.close()


def test_aiokafka_producer_is_stopped_when_its_start_fails(example, kafka_topic, monkeypatch):
    import asyncio
    import socket

    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaConnectionError

    module = example("02_aiokafka.py")
    with socket.socket() as s:  # a port nothing listens on: start() fails
        s.bind(("127.0.0.1", 0))
        monkeypatch.setattr(module, "BOOTSTRAP_SERVERS", f"127.0.0.1:{s.getsockname()[1]}")
    stopped = []
    real_stop = AIOKafkaProducer.stop

    async def counting_stop(self):
        stopped.append(self)
        await real_stop(self)

    monkeypatch.setattr(AIOKafkaProducer, "stop", counting_stop)
    with pytest.raises(KafkaConnectionError):
        asyncio.run(asyncio.wait_for(module.produce(kafka_topic, module.ORDERS), 60))
    assert len(stopped) == 1


def test_the_lookup_only_endpoint_answers_the_id_without_registering(example, kafka_topic, schema_registry_url):
    """POST /subjects/<subject> (no /versions) looks a schema up: 404 before anyone registered it, then its id."""
    import avro_wire

    module = example("01_kafka_python.py")
    lookup = f"{schema_registry_url}/subjects/{kafka_topic}-value"
    missing = httpx.post(lookup, json={"schema": module.ORDER_SCHEMA}, timeout=10)
    assert (missing.status_code, missing.json()["error_code"]) == (404, 40401)
    assert f"{kafka_topic}-value" not in SchemaRegistryClient({"url": schema_registry_url}).get_subjects()
    registered = avro_wire.schema_id(schema_registry_url, f"{kafka_topic}-value", module.ORDER_SCHEMA)
    found = httpx.post(lookup, json={"schema": module.ORDER_SCHEMA}, timeout=10)
    assert found.status_code == 200
    assert (found.json()["id"], found.json()["version"]) == (registered, 1)
