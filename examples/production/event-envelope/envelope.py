"""The event envelope the examples of this page share: pure functions, no broker needed."""

# --8<-- [start:envelope]
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def build_envelope(
    event_type: str,
    entity_id: str,
    data: dict,
    *,
    source: str,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict:
    occurred_at = occurred_at or datetime.now(UTC)
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "entity_id": entity_id,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "source": source,
        "data": data,
    }


def serialize(envelope: dict) -> bytes:
    return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()


def to_record(envelope: dict, serializer: Callable[[dict], bytes] = serialize) -> dict:
    occurred_at = datetime.fromisoformat(envelope["occurred_at"])
    return {
        "key": envelope["entity_id"].encode(),
        "value": serializer(envelope),
        "headers": [
            ("event_id", envelope["event_id"].encode()),
            ("event_type", envelope["event_type"].encode()),
            ("source", envelope["source"].encode()),
        ],
        "timestamp_ms": (occurred_at - EPOCH) // timedelta(milliseconds=1),
    }


# --8<-- [end:envelope]


# The events both producer examples send: three for task-42, in order, and one for task-7.
TASK_EVENTS = [
    ("task.created", "task-42", {"title": "Design API"}),
    ("task.assigned", "task-42", {"assignee": "alice"}),
    ("task.created", "task-7", {"title": "Write tests"}),
    ("task.completed", "task-42", {}),
]
