"""Compatibility modes per subject: which changes to OrderPlaced each mode lets in."""

import json
import os
import uuid

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SCHEMA_REGISTRY_URL = os.environ.get("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7")

MODES = ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"]


def order(*fields: dict) -> str:
    return json.dumps({"type": "record", "name": "OrderPlaced", "namespace": "shop.orders", "fields": list(fields)})


ORDER_ID = {"name": "order_id", "type": "string"}
QUANTITY = {"name": "quantity", "type": "int"}
BASE = order(ORDER_ID, QUANTITY)
CHANGES = {
    "add a field with a default": order(ORDER_ID, QUANTITY, {"name": "currency", "type": "string", "default": "EUR"}),
    "add a field without a default": order(ORDER_ID, QUANTITY, {"name": "customer_id", "type": "string"}),
    "remove a field without a default": order(ORDER_ID),
    "widen int to long": order(ORDER_ID, {"name": "quantity", "type": "long"}),
}


def accepts(mode: str, change: str) -> bool:
    """Does a subject holding BASE, under `mode`, accept the change as its next version?"""
    subject = f"modes-{uuid.uuid4().hex[:8]}-value"
    # --8<-- [start:mode]
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    registry.register_schema(subject, Schema(BASE, "AVRO"))
    registry.set_compatibility(subject, mode)
    accepted = registry.test_compatibility_all_versions(subject, Schema(CHANGES[change], "AVRO"))
    # --8<-- [end:mode]
    registry.delete_subject(subject)
    return accepted


# a history of three versions: currency arrives with a default, then loses it
CURRENCY = {"name": "currency", "type": "string"}
HISTORY = [BASE, order(ORDER_ID, QUANTITY, {**CURRENCY, "default": "EUR"}), order(ORDER_ID, QUANTITY, CURRENCY)]


def accepts_third_version(mode: str) -> bool:
    """Under `mode`, does the registry take HISTORY's third version after the first two? A transitive mode
    checks it against every earlier version, the plain one against the latest only."""
    subject = f"modes-{uuid.uuid4().hex[:8]}-value"
    registry = SchemaRegistryClient({"url": SCHEMA_REGISTRY_URL})
    registry.register_schema(subject, Schema(HISTORY[0], "AVRO"))
    registry.set_compatibility(subject, mode)
    registry.register_schema(subject, Schema(HISTORY[1], "AVRO"))
    try:
        registry.register_schema(subject, Schema(HISTORY[2], "AVRO"))
        accepted = True
    except SchemaRegistryError as exc:
        if exc.http_status_code != 409:
            raise
        accepted = False
    registry.delete_subject(subject)
    return accepted


def main() -> None:
    for mode in ("BACKWARD", "FORWARD", "FULL", "NONE"):
        print(mode, {change: accepts(mode, change) for change in CHANGES})
    for mode in ("BACKWARD", "BACKWARD_TRANSITIVE"):
        print(mode, "accepts the third version:", accepts_third_version(mode))


if __name__ == "__main__":
    main()
