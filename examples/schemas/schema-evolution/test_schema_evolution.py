"""Schema evolution against the session's real registry (kafkalab's Apicurio Registry): a compatible change
registers and both old and new readers read every record; an incompatible one is refused on both paths
before any record is written; which changes each compatibility mode accepts. Every rule these tests set is
on a subject of their own: the registry's global settings are only read."""

from __future__ import annotations

import json
import os
import struct
import urllib.request

import pytest
from confluent_kafka.error import ValueSerializationError
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from kafkalab.lab import watermarks


@pytest.fixture
def registry(schema_registry_url) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": schema_registry_url})


def _records_in(topic: str) -> int:
    return watermarks(os.environ["KAFKA_BOOTSTRAP_SERVERS"], topic)[1]


def _native_rules(schema_registry_url: str, path: str) -> list:
    """Apicurio's own REST API (beside the Confluent-compatible one): the rules it holds."""
    base = schema_registry_url.removesuffix("/apis/ccompat/v7")
    with urllib.request.urlopen(f"{base}/apis/registry/v2{path}", timeout=10) as resp:
        return json.loads(resp.read())


def test_a_field_with_a_default_registers_and_old_and_new_readers_read_everything(example, kafka_topic, registry):
    module = example("01_add_a_field.py")
    topic = kafka_topic
    subject = f"{topic}-value"
    old = module.produce(topic, module.ORDER_V1, module.OLD_ORDERS)
    module.set_rule(topic, "BACKWARD")
    assert registry.get_compatibility(subject) == "BACKWARD"
    new = module.produce(topic, module.ORDER_V2, module.NEW_ORDERS)
    assert [err for err, _ in old + new] == [None] * 3
    assert [msg.offset() for _, msg in old + new] == [0, 1, 2]
    assert registry.get_versions(subject) == [1, 2]
    v1, v2 = (registry.get_version(subject, v).schema_id for v in (1, 2))
    assert v1 != v2
    assert [struct.unpack(">I", msg.value()[1:5])[0] for _, msg in old + new] == [v1, v1, v2]

    # an old consumer (reader schema v1): the new record without the field it does not know
    assert module.read(topic, module.ORDER_V1, 3) == [*module.OLD_ORDERS, {"order_id": "o-3", "quantity": 3}]
    # a new consumer (reader schema v2): the old records with the default filled in
    assert module.read(topic, module.ORDER_V2, 3) == [
        {"order_id": "o-1", "quantity": 1, "currency": "EUR"},
        {"order_id": "o-2", "quantity": 2, "currency": "EUR"},
        {"order_id": "o-3", "quantity": 3, "currency": "USD"},
    ]
    # no reader schema: each record in its writer's shape
    assert module.read(topic, None, 3) == [*module.OLD_ORDERS, *module.NEW_ORDERS]


@pytest.mark.parametrize("fmt", ["AVRO", "JSON"])
def test_the_serializer_inside_produce_is_refused_before_anything_is_sent(example, kafka_topic, registry, fmt):
    module = example("02_incompatible_change.py")
    topic = kafka_topic
    subject = module.start_subject(topic, fmt)
    first, breaking = module.SCHEMAS[fmt]
    [(err, _)] = module.produce(topic, fmt, first, {"order_id": "o-1", "quantity": 1})
    assert err is None
    value = (
        {"order_id": "o-2", "quantity": 2, "customer_id": "c-9"}
        if fmt == "AVRO"
        else {"order_id": "o-2", "quantity": "2"}
    )
    with pytest.raises(ValueSerializationError) as refused:
        module.produce(topic, fmt, breaking, value)
    cause = refused.value.exception
    assert isinstance(cause, SchemaRegistryError)
    assert (cause.http_status_code, cause.error_code) == (409, 0)
    assert f"Incompatible artifact: {subject} [{fmt}]" in str(refused.value)
    assert _records_in(topic) == 1  # only the record written before
    assert registry.get_versions(subject) == [1]


@pytest.mark.parametrize(
    ("fmt", "cause"),
    [
        pytest.param("AVRO", "customer_id at /fields/2", id="avro"),
        pytest.param("JSON", "SUBSCHEMA_TYPE_CHANGED at /properties/quantity", id="json"),
        pytest.param("PROTOBUF", "The new version of the protobuf artifact is not backward compatible.", id="protobuf"),
    ],
)
def test_register_schema_is_refused_with_409(example, kafka_topic, registry, fmt, cause):
    module = example("02_incompatible_change.py")
    subject = module.start_subject(kafka_topic, fmt)
    assert registry.test_compatibility_all_versions(subject, Schema(module.SCHEMAS[fmt][1], fmt)) is False
    with pytest.raises(RuntimeError, match=f"not compatible with the versions the rule of {subject} checks"):
        module.register_breaking(kafka_topic, fmt)  # the gate stops before registering
    assert registry.get_versions(subject) == [1]
    with pytest.raises(SchemaRegistryError) as refused:
        module.register_breaking(kafka_topic, fmt, check_first=False)
    assert (refused.value.http_status_code, refused.value.error_code) == (409, 0)
    assert f"Incompatible artifact: {subject} [{fmt}]" in str(refused.value) and cause in str(refused.value)
    assert registry.get_versions(subject) == [1]


def test_a_rule_set_before_the_subject_exists_applies_to_its_versions(example, kafka_topic, registry):
    """Apicurio 2.4.2 stores a rule for a subject that has no version yet, and checks the second version with it."""
    module = example("01_add_a_field.py")
    subject = f"{kafka_topic}-value"
    assert subject not in registry.get_subjects()
    module.set_rule(kafka_topic, "BACKWARD")
    assert registry.get_compatibility(subject) == "BACKWARD"
    assert subject not in registry.get_subjects()  # the rule made no version
    registry.register_schema(subject, Schema(module.ORDER_V1, "AVRO"))
    breaking = example("02_incompatible_change.py").SCHEMAS["AVRO"][1]
    with pytest.raises(SchemaRegistryError) as refused:
        registry.register_schema(subject, Schema(breaking, "AVRO"))
    assert refused.value.http_status_code == 409
    assert registry.get_versions(subject) == [1]


def test_the_registry_has_no_compatibility_rule_until_one_is_set(example, kafka_topic, registry, schema_registry_url):
    module = example("01_add_a_field.py")
    subject = f"{kafka_topic}-value"
    module.produce(kafka_topic, module.ORDER_V1, module.OLD_ORDERS[:1])
    assert registry.get_compatibility() == "NONE"  # the global level, as the ccompat API reports it
    assert registry.get_compatibility(subject) == "NONE"
    assert _native_rules(schema_registry_url, "/admin/rules") == []  # no global rule
    assert _native_rules(schema_registry_url, f"/groups/default/artifacts/{subject}/rules") == []
    breaking = example("02_incompatible_change.py").SCHEMAS["AVRO"][1]
    assert registry.test_compatibility(subject, Schema(breaking, "AVRO")) is True  # anything goes
    module.set_rule(kafka_topic, "BACKWARD")
    assert _native_rules(schema_registry_url, f"/groups/default/artifacts/{subject}/rules") == ["COMPATIBILITY"]
    assert registry.test_compatibility(subject, Schema(breaking, "AVRO")) is False


def test_every_confluent_mode_is_accepted_per_subject_and_an_unknown_one_is_a_500(example, kafka_topic, registry):
    module = example("03_compatibility_modes.py")
    subject = f"{kafka_topic}-value"
    registry.register_schema(subject, Schema(module.BASE, "AVRO"))
    for mode in module.MODES:
        assert registry.set_compatibility(subject, mode) == {"compatibility": mode}
        assert registry.get_compatibility(subject) == mode
    with pytest.raises(SchemaRegistryError) as unknown:
        registry.set_compatibility(subject, "SIDEWAYS")
    assert unknown.value.http_status_code == 500  # Apicurio 2.4.2: a JSON mapping error, not a 422
    assert "not one of the values accepted" in str(unknown.value)


A, N = True, False  # accepted, refused
EXPECTED = {  # mode: the CHANGES of 03_compatibility_modes.py in their order
    "BACKWARD": [A, N, A, A],
    "BACKWARD_TRANSITIVE": [A, N, A, A],
    "FORWARD": [A, A, N, N],
    "FORWARD_TRANSITIVE": [A, A, N, N],
    "FULL": [A, N, N, N],
    "FULL_TRANSITIVE": [A, N, N, N],
    "NONE": [A, A, A, A],
}


@pytest.mark.parametrize("mode", list(EXPECTED))
def test_which_changes_each_mode_accepts(example, schema_registry_url, mode):
    module = example("03_compatibility_modes.py")
    assert list(EXPECTED) == module.MODES
    assert [module.accepts(mode, change) for change in module.CHANGES] == EXPECTED[mode]


@pytest.mark.parametrize(
    ("mode", "accepted"),
    [("BACKWARD", True), ("BACKWARD_TRANSITIVE", False), ("FULL", True), ("FULL_TRANSITIVE", False)],
)
def test_a_transitive_mode_checks_every_earlier_version(example, schema_registry_url, mode, accepted):
    module = example("03_compatibility_modes.py")
    assert module.accepts_third_version(mode) is accepted


def test_test_compatibility_checks_one_version_and_the_all_versions_check_matches_register(
    example, registry, kafka_topic
):
    module = example("03_compatibility_modes.py")
    subject = f"{kafka_topic}-value"
    registry.register_schema(subject, Schema(module.HISTORY[0], "AVRO"))
    registry.set_compatibility(subject, "BACKWARD_TRANSITIVE")
    registry.register_schema(subject, Schema(module.HISTORY[1], "AVRO"))
    third = Schema(module.HISTORY[2], "AVRO")
    assert registry.test_compatibility(subject, third) is True  # against "latest": version 2 only
    assert registry.test_compatibility(subject, third, version=1) is False
    assert registry.test_compatibility_all_versions(subject, third) is False  # what register_schema checks
    with pytest.raises(SchemaRegistryError) as refused:  # registering checks every version
        registry.register_schema(subject, third)
    assert refused.value.http_status_code == 409
    assert registry.get_versions(subject) == [1, 2]


@pytest.mark.parametrize("filename", ["01_add_a_field.py", "02_incompatible_change.py", "03_compatibility_modes.py"])
def test_main_runs(example, schema_registry_url, filename):
    example(filename).main()
