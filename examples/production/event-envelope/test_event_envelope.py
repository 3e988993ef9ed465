"""Envelopes keep their key, headers and timestamp through the broker; duplicates are processed once."""

import inspect
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

PAGE = Path(__file__).parents[3] / "docs" / "production" / "event-envelope.md"


def _check_round_trip(events, stored):
    """stored: (partition, key, headers, value, timestamp_ms) per record, sorted by partition and offset."""
    assert len(stored) == len(events)
    envelopes = [json.loads(value) for _, _, _, value, _ in stored]
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
    task42 = [json.loads(v)["event_type"] for _, k, _, v, _ in stored if k == b"task-42"]
    assert task42 == ["task.created", "task.assigned", "task.completed"], "order kept per entity"


def _by_offset(messages):
    return sorted(messages, key=lambda m: (m.partition(), m.offset()))


def test_confluent_kafka_envelopes(example):
    result = example("01_produce_confluent_kafka.py").main()
    assert [err for err, _, _ in result["reports"]] == [None] * 4
    stored = [
        (m.partition(), m.key(), m.headers(), m.value(), m.timestamp()[1]) for m in _by_offset(result["read_back"])
    ]
    _check_round_trip(result["events"], stored)
    assert sorted((p, o) for _, p, o in result["reports"]) == sorted(
        (m.partition(), m.offset()) for m in result["read_back"]
    )


def test_kafka_python_envelopes(example):
    result = example("02_produce_kafka_python.py").main()
    records = sorted(result["read_back"], key=lambda r: (r.partition, r.offset))
    stored = [(r.partition, r.key, r.headers, r.value, r.timestamp) for r in records]
    _check_round_trip(result["events"], stored)
    assert sorted((m.partition, m.offset) for m in result["metadata"]) == sorted(
        (r.partition, r.offset) for r in result["read_back"]
    )


def test_a_duplicate_envelope_is_processed_once(example):
    result = example("03_dedupe_consumer.py").main()
    first, second = result["envelopes"]
    assert result["processed"] == [first, second]
    assert result["skipped"] == [first["event_id"]]


@pytest.mark.parametrize(
    "filename", ["01_produce_confluent_kafka.py", "02_produce_kafka_python.py", "03_dedupe_consumer.py"]
)
def test_examples_use_the_envelope_code_the_page_shows(example, filename):
    page = PAGE.read_text()
    mod = example(filename)
    for function in (mod.build_envelope, mod.serialize, mod.to_record):
        assert inspect.getsource(function) in page, f"{filename}: {function.__name__} differs from the page"


def test_seen_events_is_bounded(example):
    seen = example("03_dedupe_consumer.py").SeenEvents(capacity=2)
    assert [seen.first_time(i) for i in ("a", "b", "a", "c")] == [True, True, False, True]
    assert seen.first_time("a") is True, "the oldest id was forgotten"
    assert len(seen.ids) == 2
