"""The registry in the producer's path, when it fails: a private Apicurio Registry (kafkalab's
SchemaRegistry) that these tests stop, freeze and restart; the session's registry is left alone except
by the auto.register.schemas tests, which only register schemas under their own topic's subject."""

from __future__ import annotations

import io
import json
import os
import signal
import struct
import threading
from pathlib import Path

import fastavro
import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.error import ValueDeserializationError, ValueSerializationError
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

import kafkalab
from kafkalab.lab import watermarks

# Ports of this module, relative to $KAFKALAB_PORT_BASE: the session cluster uses B+0..502 (its registry
# B+500), tests/kafkalab/test_registry.py B+550 and B+560; the module's registry sits at B+570 and the
# registries that the examples' main() start at B+571.
OWN_REGISTRY_OFFSET = 570
MAIN_REGISTRY_OFFSET = 571


def _port_base() -> int:
    return int(os.environ.get("KAFKALAB_PORT_BASE") or 29092)


@pytest.fixture(scope="module")
def own_registry(tmp_path_factory) -> kafkalab.SchemaRegistry:
    """A registry for this module alone, so that stopping it disturbs no other test."""
    registry = kafkalab.SchemaRegistry.launch(
        _port_base() + OWN_REGISTRY_OFFSET, tmp_path_factory.mktemp("own-registry"), log=lambda _: None
    )
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture
def registry(own_registry) -> kafkalab.SchemaRegistry:
    """The module's registry, running (restarted if an earlier test left it stopped)."""
    if not own_registry.healthy():
        own_registry.restart()
    return own_registry


def _records_in(topic: str) -> int:
    return watermarks(os.environ["KAFKA_BOOTSTRAP_SERVERS"], topic)[1]


def _committed(topic: str, group: str) -> int:
    """The group's committed offset on partition 0 of the topic."""
    security = kafkalab.client_settings("confluent-kafka")
    consumer = Consumer({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"], **security, "group.id": group})
    try:
        [tp] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        return tp.offset
    finally:
        consumer.close()


def _httpx_error(exc: BaseException, name: str) -> bool:
    """confluent-kafka 2.16's registry client uses httpx2 when it is installed, else httpx: either one's error."""
    return type(exc).__name__ == name and type(exc).__module__.split(".")[0] in ("httpx", "httpx2")


def _schema_id(raw: bytes) -> int:
    assert raw[0] == 0
    return struct.unpack(">I", raw[1:5])[0]


ORDER = {"order_id": "o-1", "quantity": 1}


def test_registry_down_at_start_up_fails_the_first_produce_and_sends_nothing(example, kafka_topic, registry, capsys):
    module = example("01_down_at_startup.py")
    registry.stop()
    took = []
    for _ in range(3):  # default client settings: max.retries 3, jittered backoff from retries.wait.ms 1000
        producer = module.make_producer(registry.url)
        error, seconds = module.first_produce(producer, kafka_topic, ORDER)
        assert isinstance(error, ValueSerializationError)
        assert _httpx_error(error.exception, "ConnectError")
        assert "Connection refused" in str(error)
        assert producer.flush(10) == 0 and len(producer) == 0  # nothing was queued
        took.append(seconds)
    no_retry = module.make_producer(registry.url, {"max.retries": 0})
    error, quick = module.first_produce(no_retry, kafka_topic, ORDER)
    assert isinstance(error, ValueSerializationError) and _httpx_error(error.exception, "ConnectError")
    assert _records_in(kafka_topic) == 0  # nothing reached the topic
    assert all(t < 30 for t in took)  # 4 attempts, at most 1 + 2 + 4 s of backoff, plus a loaded machine
    with capsys.disabled():
        print(f"\nregistry down: first produce() raised after {', '.join(f'{t:.2f}' for t in took)} s "
              f"(default retries), {quick * 1e3:.0f} ms with max.retries=0")  # fmt: skip

    registry.restart()  # the same producer tries again on its next produce(): nothing of the failure is cached
    again, _ = module.first_produce(producer, kafka_topic, ORDER)
    assert again is None and producer.flush(30) == 0
    assert _records_in(kafka_topic) == 1


def test_a_frozen_registry_blocks_produce_until_the_client_timeout(example, kafka_topic, registry, capsys):
    """SIGSTOP: the registry's port still accepts connections but nothing answers. confluent-kafka's
    registry client has no request timeout by default (httpx timeout None)."""
    module = example("01_down_at_startup.py")
    unbounded = module.make_producer(registry.url)
    bounded = module.make_producer(registry.url, module.REGISTRY_TIMEOUTS)
    outcome: dict = {}

    def produce_unbounded():
        outcome["unbounded"] = module.first_produce(unbounded, kafka_topic, ORDER)

    os.kill(registry.pid, signal.SIGSTOP)
    try:
        blocked = threading.Thread(target=produce_unbounded, daemon=True)
        blocked.start()
        error, seconds = module.first_produce(bounded, kafka_topic, ORDER)
        assert isinstance(error, ValueSerializationError)
        assert _httpx_error(error.exception, "ReadTimeout") and "timed out" in str(error)
        blocked.join(timeout=max(0.0, 15 - seconds))
        assert blocked.is_alive()  # still inside produce() after 15 s
    finally:
        os.kill(registry.pid, signal.SIGCONT)
    blocked.join(timeout=60)
    assert not blocked.is_alive()
    assert outcome["unbounded"][0] is None  # it carried on when the registry woke up
    assert unbounded.flush(30) == 0 and _records_in(kafka_topic) == 1
    with capsys.disabled():
        print(f"\nfrozen registry: bounded first produce() raised after {seconds:.2f} s; "
              f"the default one waited {outcome['unbounded'][1]:.1f} s, until SIGCONT")  # fmt: skip


def test_the_producer_and_a_warmed_up_consumer_carry_on_through_an_outage(example, kafka_topic, registry):
    module = example("02_down_after_warm_up.py")
    seen = module.story(kafka_topic, registry.url, registry.stop)
    assert not registry.healthy()
    delivered = seen["before"] + seen["after"]
    assert [err for err, _ in delivered] == [None] * 6
    assert [msg.offset() for _, msg in delivered] == list(range(6))
    assert [m.value() for m in seen["read_before"]] == module.orders(0, 3)
    assert [m.value() for m in seen["read_after"]] == module.orders(3, 3)  # read with the registry down
    fresh, following = seen["fresh"]
    assert isinstance(fresh, ValueDeserializationError)
    assert _httpx_error(fresh.exception, "ConnectError") and "Connection refused" in str(fresh)
    assert fresh.kafka_message.offset() == 0  # the record it could not decode
    # that record was consumed all the same: the next poll() moved on to the next offset ...
    assert isinstance(following, ValueDeserializationError) and following.kafka_message.offset() == 1
    # ... and auto-commit committed past both when the consumer closed: the group skips them for good
    assert _committed(kafka_topic, f"{kafka_topic}-fresh") == 2


def test_a_restarted_in_memory_registry_gives_id_1_to_another_schema(example, kafka_topic, registry):
    module = example("03_restart_reuses_ids.py")
    registry.restart()  # an empty registry: its first schema gets id 1
    seen = module.story(kafka_topic, registry.url, registry.restart)
    assert seen["order_id"] == seen["payment_id"] == 1
    first, second = seen["read"]
    assert (first.key(), second.key()) == ("o-1", "o-2")
    # both records carry id 1; id 1 now names PaymentTaken, and Avro decodes OrderPlaced's bytes with it
    assert first.value() == {"payment_id": "o-1", "amount_cents": 2}
    assert second.value() == {"payment_id": "o-2", "amount_cents": 3}
    client = SchemaRegistryClient({"url": registry.url})
    assert client.get_subjects() == ["payments-value"]  # the orders subject is gone


def test_main_with_the_registry_down_at_start_up(example):
    example("01_down_at_startup.py").main()


@pytest.mark.parametrize("filename", ["02_down_after_warm_up.py", "03_restart_reuses_ids.py"])
def test_main_starts_and_stops_its_own_registry(example, monkeypatch, filename):
    port = _port_base() + MAIN_REGISTRY_OFFSET
    monkeypatch.setenv("OUTAGE_REGISTRY_PORT", str(port))
    module = example(filename)
    assert module.OWN_REGISTRY_PORT == port
    module.main()
    assert not kafkalab.SchemaRegistry(port, Path(".")).healthy()


# -- auto.register.schemas=False: the session's registry --------------------------------------------------


def test_lookup_only_refuses_a_schema_nobody_registered(example, kafka_topic, schema_registry_url):
    module = example("04_auto_register_off.py")
    assert module.SCHEMA_REGISTRY_URL == schema_registry_url
    with pytest.raises(ValueSerializationError) as refused:
        module.produce_one(kafka_topic, module.LOOKUP_ONLY)
    cause = refused.value.exception
    assert isinstance(cause, SchemaRegistryError)
    assert (cause.http_status_code, cause.error_code) == (404, 40401)
    assert f"No artifact with ID '{kafka_topic}-value' in group 'null' was found." in str(refused.value)
    with pytest.raises(ValueSerializationError) as no_latest:
        module.produce_one(kafka_topic, module.LATEST_VERSION)
    assert (no_latest.value.exception.http_status_code, no_latest.value.exception.error_code) == (404, 40402)
    assert f"No version 'latest' found for artifact with ID '{kafka_topic}-value' in group 'null'." in str(
        no_latest.value
    )
    assert _records_in(kafka_topic) == 0  # nothing reached the topic
    assert f"{kafka_topic}-value" not in SchemaRegistryClient({"url": schema_registry_url}).get_subjects()


def test_lookup_only_works_once_the_schema_is_registered(example, kafka_topic, schema_registry_url):
    module = example("04_auto_register_off.py")
    schema_id = module.register_at_deploy(kafka_topic)
    reports = module.produce_one(kafka_topic, module.LOOKUP_ONLY) + module.produce_one(
        kafka_topic, module.LATEST_VERSION
    )
    assert [err for err, _ in reports] == [None, None]
    assert [_schema_id(msg.value()) for _, msg in reports] == [schema_id, schema_id]
    assert SchemaRegistryClient({"url": schema_registry_url}).get_versions(f"{kafka_topic}-value") == [1]


def test_use_latest_version_encodes_with_the_latest_schema_not_its_own(example, kafka_topic, schema_registry_url):
    """The subject's latest version has a field the serializer's own schema lacks: the record is written
    with the latest schema (its default filled in), under the latest schema's id."""
    module = example("04_auto_register_off.py")
    own = json.loads(module.ORDER_SCHEMA)
    currency = {"name": "currency", "type": "string", "default": "EUR"}
    latest = json.dumps({**own, "fields": [*own["fields"], currency]})
    client = SchemaRegistryClient({"url": schema_registry_url})
    latest_id = client.register_schema(f"{kafka_topic}-value", Schema(latest, "AVRO"))
    [(err, msg)] = module.produce_one(kafka_topic, module.LATEST_VERSION)
    assert err is None
    raw = msg.value()
    assert _schema_id(raw) == latest_id
    payload = io.BytesIO(raw[5:])
    assert fastavro.schemaless_reader(payload, fastavro.parse_schema(json.loads(latest))) == {
        "order_id": "o-1",
        "quantity": 1,
        "currency": "EUR",
    }
    assert payload.read() == b""  # every byte was the latest schema's


def test_lookup_of_another_schema_in_an_existing_subject_says_no_artifact(example, kafka_topic, schema_registry_url):
    """Apicurio 2.4.2 answers a lookup of an unknown schema under a known subject with 40401 (subject not
    found), where Confluent's registry says 40403 (schema not found)."""
    module = example("04_auto_register_off.py")
    module.register_at_deploy(kafka_topic)
    other = module.ORDER_SCHEMA.replace('"quantity", "type": "int"', '"quantity", "type": "long"')
    assert other != module.ORDER_SCHEMA
    client = SchemaRegistryClient({"url": schema_registry_url})
    with pytest.raises(SchemaRegistryError) as missing:
        client.lookup_schema(f"{kafka_topic}-value", Schema(other, "AVRO"))
    assert (missing.value.http_status_code, missing.value.error_code) == (404, 40401)


def test_use_latest_version_and_auto_register_together_are_refused(example):
    module = example("04_auto_register_off.py")
    with pytest.raises(ValueError, match="cannot enable both use.latest.version and auto.register.schemas"):
        module.make_producer({"use.latest.version": True})


def test_main_of_auto_register_off(example, schema_registry_url):
    example("04_auto_register_off.py").main()
