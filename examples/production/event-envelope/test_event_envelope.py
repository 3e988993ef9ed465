"""Envelopes keep their key, headers and timestamp through the broker; duplicates are processed once."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


@pytest.fixture(autouse=True)
def _envelope_importable(monkeypatch):
    """The examples import their sibling envelope.py, as they do when run as scripts."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))


def test_a_fixed_envelope_gives_a_fixed_record():
    from envelope import build_envelope, to_record

    # --8<-- [start:fixed]
    envelope = build_envelope(
        "task.created",
        "task-42",
        {"title": "Design API", "assignee": "alice"},
        source="task-api",
        event_id="6c1f0d3e-8a52-4d7b-9a8e-2f4b1c7d9e01",
        occurred_at=datetime(2025, 3, 1, 9, 30, 15, 250000, tzinfo=UTC),
    )
    record = to_record(envelope)
    assert record["key"] == b"task-42"
    assert record["value"] == (
        b'{"data":{"assignee":"alice","title":"Design API"},"entity_id":"task-42",'
        b'"event_id":"6c1f0d3e-8a52-4d7b-9a8e-2f4b1c7d9e01","event_type":"task.created",'
        b'"occurred_at":"2025-03-01T09:30:15.250Z","source":"task-api"}'
    )
    assert record["headers"][1] == ("event_type", b"task.created")
    assert record["timestamp_ms"] == 1740821415250
    # --8<-- [end:fixed]


def test_float_seconds_times_1000_can_lose_a_millisecond():
    from envelope import build_envelope, to_record

    instant = datetime(2004, 9, 18, 13, 12, 28, 120000, tzinfo=UTC)
    envelope = build_envelope("task.created", "task-42", {}, source="task-api", occurred_at=instant)
    assert envelope["occurred_at"] == "2004-09-18T13:12:28.120Z"
    assert int(instant.timestamp() * 1000) == 1095513148119  # one millisecond early
    assert to_record(envelope)["timestamp_ms"] == 1095513148120
    assert json.loads(json.dumps(instant.timestamp())) == instant.timestamp(), "the float itself survives JSON"


def test_without_default_str_serialising_fails_before_anything_is_sent():
    from envelope import build_envelope, to_record

    envelope = build_envelope("order.paid", "order-7", {"amount": Decimal("9.99")}, source="shop")
    with pytest.raises(TypeError, match="Decimal is not JSON serializable"):
        to_record(envelope)


def test_a_naive_time_is_refused():
    from envelope import build_envelope

    with pytest.raises(ValueError, match="timezone-aware"):
        build_envelope("task.created", "task-42", {}, source="task-api", occurred_at=datetime(2025, 3, 1, 9, 30))


def _check_round_trip(events, stored, decode=json.loads):
    """stored: (partition, key, headers, value, timestamp_ms) per record, sorted by partition and offset."""
    assert len(stored) == len(events)
    envelopes = [decode(value) for _, _, _, value, _ in stored]
    assert len({e["event_id"] for e in envelopes}) == len(events), "one id per event"
    by_type_and_entity = sorted((e["event_type"], e["entity_id"], e["data"]) for e in envelopes)
    assert by_type_and_entity == sorted(events), "entity_id is in the envelope"
    for (_, key, headers, _, timestamp_ms), envelope in zip(stored, envelopes, strict=True):
        assert key == envelope["entity_id"].encode(), "key = entity id"
        assert headers == [
            ("event_id", envelope["event_id"].encode()),
            ("event_type", envelope["event_type"].encode()),
            ("source", b"task-api"),
        ]
        occurred_at = datetime.fromisoformat(envelope["occurred_at"])
        assert timestamp_ms == (occurred_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
        assert envelope["occurred_at"].endswith("Z")
    partitions = {key: {p for p, k, *_ in stored if k == key} for _, key, *_ in stored}
    assert all(len(p) == 1 for p in partitions.values()), "every event of an entity on one partition"
    task42 = [decode(v)["event_type"] for _, k, _, v, _ in stored if k == b"task-42"]
    assert task42 == ["task.created", "task.assigned", "task.completed"], "order kept per entity"


def _stored(messages):
    """(partition, key, headers, value, timestamp_ms) of records read back, by partition and offset."""
    by_offset = sorted(messages, key=lambda m: (m.partition(), m.offset()))
    return [(m.partition(), m.key(), m.headers(), m.value(), m.timestamp()[1]) for m in by_offset]


def test_confluent_kafka_envelopes(example):
    result = example("01_produce_confluent_kafka.py").main()
    assert [err for err, _, _ in result["reports"]] == [None] * 4
    assert result["remaining"] == 0
    _check_round_trip(result["events"], _stored(result["read_back"]))
    assert sorted((p, o) for _, p, o in result["reports"]) == sorted(
        (m.partition(), m.offset()) for m in result["read_back"]
    )


def test_kafka_python_envelopes(example):
    result = example("02_produce_kafka_python.py").main()
    _check_round_trip(result["events"], _stored(result["read_back"]))
    assert sorted((m.partition, m.offset) for m in result["metadata"]) == sorted(
        (m.partition(), m.offset()) for m in result["read_back"]
    )


def test_a_duplicate_envelope_is_processed_once(example):
    result = example("03_dedupe_consumer.py").main()
    first, second = result["envelopes"]
    assert result["processed"] == [first, second]
    assert result["skipped"] == [first["event_id"]]


def test_seen_events_is_bounded(example):
    seen = example("03_dedupe_consumer.py").SeenEvents(capacity=2)
    assert [seen.first_time(i) for i in ("a", "b", "a", "c")] == [True, True, False, True]
    assert seen.first_time("a") is True, "the oldest id was forgotten"
    assert len(seen.ids) == 2


def test_avro_envelopes(example, schema_registry_url):
    """The schema'd envelope: the same key, headers, timestamp and per-entity order; the value is the
    registry's wire format, and AvroDeserializer gives back the very envelopes that were built."""
    module = example("04_avro_envelope.py")
    result = module.main()
    assert [err for err, _, _ in result["reports"]] == [None] * 4
    registry = SchemaRegistryClient({"url": schema_registry_url})
    deserializer = AvroDeserializer(registry, from_dict=module.from_avro)
    context = SerializationContext(result["topic"], MessageField.VALUE)
    stored = _stored(result["read_back"])
    _check_round_trip(result["events"], stored, decode=lambda value: deserializer(value, context))
    read = {e["event_id"]: e for e in (deserializer(value, context) for _, _, _, value, _ in stored)}
    assert read == {e["event_id"]: e for e in result["envelopes"]}, "every field as built"

    registered = registry.get_latest_version(f"{result['topic']}-value")
    assert registered.version == 1 and registered.schema.schema_type == "AVRO"
    assert json.loads(registered.schema.schema_str)["name"] == "EventEnvelope"
    for *_, value, _ in stored:
        assert value[0] == 0 and int.from_bytes(value[1:5], "big") == registered.schema_id


def test_the_fixed_envelope_as_json_and_as_avro_bytes(example, kafka_topic, schema_registry_url):
    """The fixed envelope of the page, serialised both ways: exact byte counts."""
    from envelope import build_envelope, serialize, to_record

    module = example("04_avro_envelope.py")
    envelope = build_envelope(
        "task.created",
        "task-42",
        {"title": "Design API", "assignee": "alice"},
        source="task-api",
        event_id="6c1f0d3e-8a52-4d7b-9a8e-2f4b1c7d9e01",
        occurred_at=datetime(2025, 3, 1, 9, 30, 15, 250000, tzinfo=UTC),
    )
    registry = SchemaRegistryClient({"url": schema_registry_url})
    avro = AvroSerializer(registry, module.ENVELOPE_SCHEMA, to_dict=module.to_avro)
    record = to_record(envelope, serializer=lambda e: avro(e, SerializationContext(kafka_topic, MessageField.VALUE)))
    assert len(serialize(envelope)) == 211
    assert len(record["value"]) == 112  # 5 bytes of header, 107 of Avro
    assert record["key"] == b"task-42" and record["timestamp_ms"] == 1740821415250


def test_a_data_value_that_is_not_text_fails_in_the_avro_serializer(example, kafka_topic, schema_registry_url):
    from envelope import build_envelope

    module = example("04_avro_envelope.py")
    avro = AvroSerializer(
        SchemaRegistryClient({"url": schema_registry_url}), module.ENVELOPE_SCHEMA, to_dict=module.to_avro
    )
    envelope = build_envelope("order.paid", "order-7", {"amount": 9.99}, source="shop")
    with pytest.raises(TypeError, match="must be string on field data"):
        avro(envelope, SerializationContext(kafka_topic, MessageField.VALUE))
