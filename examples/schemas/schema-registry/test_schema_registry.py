"""The schema registry page: each format round-trips through a real registry (kafkalab's Apicurio
Registry), the stored bytes carry the registry's schema id, and each subject name strategy registers
the subjects the page says."""

from __future__ import annotations

import base64
import io
import json
import statistics
import struct

import fastavro
import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from google.protobuf import descriptor_pb2


@pytest.fixture(autouse=True)
def _needs_a_registry(schema_registry_url):
    """Every test here talks to a registry (the examples' own default URL too): none, and they skip, saying why."""


@pytest.fixture
def registry(schema_registry_url) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": schema_registry_url})


def _assert_delivered(reports: list, topic: str, count: int) -> None:
    assert [err for err, _ in reports] == [None] * count
    assert {msg.topic() for _, msg in reports} == {topic}
    assert [msg.offset() for _, msg in reports] == list(range(count))  # one partition by default


def _split(raw: bytes) -> tuple[int, int, bytes]:
    """(magic byte, schema id, rest) of a value in the registry's wire format."""
    return raw[0], struct.unpack(">I", raw[1:5])[0], raw[5:]


def test_avro_round_trip_and_wire_format(example, kafka_topic, schema_registry_url, registry):
    module = example("01_avro.py")
    assert module.SCHEMA_REGISTRY_URL == schema_registry_url
    topic = kafka_topic
    _assert_delivered(module.produce(topic, module.ORDERS), topic, len(module.ORDERS))
    read = module.consume(topic, len(module.ORDERS))
    assert [(m.key(), m.value()) for m in read] == [(o["order_id"], o) for o in module.ORDERS]

    registered = registry.get_latest_version(f"{topic}-value")
    assert registered.version == 1 and registered.schema.schema_type == "AVRO"
    parsed = fastavro.parse_schema(json.loads(module.ORDER_SCHEMA))
    for msg, order in zip(module.consume(topic, len(module.ORDERS), raw=True), module.ORDERS, strict=True):
        magic, schema_id, payload = _split(msg.value())
        assert (magic, schema_id) == (0, registered.schema_id)
        assert fastavro.schemaless_reader(io.BytesIO(payload), parsed) == order
    module.main()


def test_json_schema_round_trip_and_wire_format(example, kafka_topic, schema_registry_url, registry):
    module = example("02_json_schema.py")
    assert module.SCHEMA_REGISTRY_URL == schema_registry_url
    topic = kafka_topic
    _assert_delivered(module.produce(topic, module.ORDERS), topic, len(module.ORDERS))
    read = module.consume(topic, len(module.ORDERS))
    assert [(m.key(), m.value()) for m in read] == [(o["order_id"], o) for o in module.ORDERS]

    registered = registry.get_latest_version(f"{topic}-value")
    assert registered.version == 1 and registered.schema.schema_type == "JSON"
    for msg, order in zip(module.consume(topic, len(module.ORDERS), raw=True), module.ORDERS, strict=True):
        magic, schema_id, payload = _split(msg.value())
        assert (magic, schema_id) == (0, registered.schema_id)
        assert json.loads(payload) == order  # the payload is plain JSON text
    module.main()


def test_json_schema_serializer_refuses_a_value_that_breaks_the_schema(example, kafka_topic, registry):
    module = example("02_json_schema.py")
    topic = kafka_topic
    with pytest.raises(Exception, match="'two' is not of type 'integer'") as raised:
        module.produce(topic, [{"order_id": "o-9", "quantity": "two"}])
    assert type(raised.value).__name__ == "ValueSerializationError"
    watermarks = Consumer({"bootstrap.servers": module.BOOTSTRAP_SERVERS, **module.SECURITY, "group.id": f"{topic}-w"})
    try:  # nothing reached the topic
        assert watermarks.get_watermark_offsets(TopicPartition(topic, 0), timeout=10) == (0, 0)
    finally:
        watermarks.close()


def test_protobuf_round_trip_and_wire_format(example, kafka_topic, schema_registry_url, registry):
    module = example("03_protobuf.py")
    assert module.SCHEMA_REGISTRY_URL == schema_registry_url
    topic = kafka_topic
    _assert_delivered(module.produce(topic, module.ORDERS), topic, len(module.ORDERS))
    read = module.consume(topic, len(module.ORDERS))
    assert [(m.key(), m.value()) for m in read] == [(o.order_id, o) for o in module.ORDERS]

    registered = registry.get_latest_version(f"{topic}-value")
    assert registered.version == 1 and registered.schema.schema_type == "PROTOBUF"
    # confluent-kafka registers the class's file descriptor, base64-encoded, not .proto text
    stored = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(registered.schema.schema_str))
    assert [m.name for m in stored.message_type] == ["OrderPlaced"] and stored.package == "shop.orders"
    for msg, order in zip(module.consume(topic, len(module.ORDERS), raw=True), module.ORDERS, strict=True):
        magic, schema_id, rest = _split(msg.value())
        assert (magic, schema_id) == (0, registered.schema_id)
        # message indexes: the first message of the .proto file is written as the single byte 0
        assert rest[0] == 0
        assert rest[1:] == order.SerializeToString()
    module.main()


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        pytest.param("TopicNameStrategy", ["{topic}-value"], id="topic"),
        pytest.param("RecordNameStrategy", ["shop.orders.OrderCancelled", "shop.orders.OrderPlaced"], id="record"),
        pytest.param(
            "TopicRecordNameStrategy",
            ["{topic}-shop.orders.OrderCancelled", "{topic}-shop.orders.OrderPlaced"],
            id="topic-record",
        ),
    ],
)
def test_subject_name_strategies(example, kafka_topic, registry, strategy, expected):
    module = example("04_subject_name_strategies.py")
    topic = kafka_topic
    reports = module.produce_both_types(topic, module.STRATEGIES[strategy])
    assert [err for err, _ in reports] == [None, None]
    assert [msg.offset() for _, msg in reports] == [0, 1]  # both event types in the one topic

    subjects = registry.get_subjects()
    wanted = [s.format(topic=topic) for s in expected]
    assert set(wanted) <= set(subjects)
    assert sorted(s for s in subjects if topic in s) == sorted(w for w in wanted if topic in w)
    if strategy == "TopicNameStrategy":  # one subject: the second type became its version 2
        assert registry.get_versions(wanted[0]) == [1, 2]
        names = [json.loads(registry.get_version(wanted[0], v).schema.schema_str)["name"] for v in (1, 2)]
        assert names == ["OrderPlaced", "OrderCancelled"]
    else:  # one subject per event type, each holding that type's schema
        for subject in wanted:
            schema = json.loads(registry.get_latest_version(subject).schema.schema_str)
            assert subject.endswith(f"shop.orders.{schema['name']}")
    # a consumer needs no strategy setting: the deserializer looks each schema up by its id
    read = example("01_avro.py").consume(topic, 2)
    assert [m.value() for m in read] == [
        {"order_id": "o-1", "quantity": 2},
        {"order_id": "o-1", "reason": "out of stock"},
    ]


def test_topic_name_strategy_with_backward_compatibility_refuses_a_second_type(example, kafka_topic, registry):
    module = example("04_subject_name_strategies.py")
    topic = kafka_topic
    subject = f"{topic}-value"
    registry.register_schema(subject, Schema(module.ORDER_PLACED, "AVRO"))
    registry.set_compatibility(subject, "BACKWARD")
    with pytest.raises(SchemaRegistryError) as refused:
        registry.register_schema(subject, Schema(module.ORDER_CANCELLED, "AVRO"))
    assert refused.value.http_status_code == 409
    assert registry.get_versions(subject) == [1]


def test_main_runs(example):
    example("04_subject_name_strategies.py").main()


def test_first_produce_waits_for_the_registry(example, kafka_topic, capsys):
    """Printed, not asserted: produce() time of the first record of a fresh serializer (a registry round
    trip) against the records after it (the schema id is cached)."""
    module = example("01_avro.py")
    first, steady = [], []
    for _ in range(5):
        orders = [{"order_id": f"o-{i}", "quantity": i} for i in range(101)]
        timings = module.timed_produce(kafka_topic, orders)
        first.append(timings[0])
        steady.extend(timings[1:])
    with capsys.disabled():
        print(
            f"\nfirst produce() median {statistics.median(first) * 1e3:.2f} ms, "
            f"later produce() median {statistics.median(steady) * 1e3:.3f} ms "
            f"({len(first)} fresh serializers, {len(steady)} later records)"
        )
    assert len(first) == 5 and len(steady) == 500
