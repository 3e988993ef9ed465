"""Idempotence: who turns it on by default, what each client does with contradictory settings, and the
producer id the broker tracks. Defaults are read from the installed clients and from the broker, not typed in."""

import logging
import subprocess
import sys

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from kafka import KafkaProducer
from kafka.errors import KafkaConfigurationError

import kafkalab
from kafkalab.lab import read_partition

CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")


def test_confluent_kafka_idempotent_producer_gets_a_producer_id(example, kafka_topic):
    reports = example("01_confluent_kafka.py").main(kafka_topic)
    assert reports == [(None, 0), (None, 1), (None, 2)]

    [state] = example("03_producer_ids.py").active_producers(kafka_topic)
    assert state.producer_id >= 0
    assert state.last_sequence == 2  # sequence numbers 0, 1, 2 for the three records


def test_confluent_kafka_default_is_not_idempotent(example, kafka_topic, kafka_bootstrap, librdkafka_default):
    assert librdkafka_default("enable.idempotence") == "false"

    mod = example("01_confluent_kafka.py")
    assert mod.produce(kafka_topic, {"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY}, [b"a", b"b"]) == [
        (None, 0),
        (None, 1),
    ]
    assert example("03_producer_ids.py").active_producers(kafka_topic) == []  # no producer id, no deduplication


@pytest.mark.parametrize(
    ("setting", "value"),
    [("acks", "1"), ("acks", "0"), ("max.in.flight.requests.per.connection", 6), ("retries", 0)],
)
def test_confluent_kafka_rejects_contradictions_at_construction(kafka_bootstrap, setting, value):
    with pytest.raises(KafkaException) as raised:
        Producer(
            {"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY, "enable.idempotence": True, setting: value}
        )
    error = raised.value.args[0]
    assert error.code() == KafkaError._INVALID_ARG
    assert not error.fatal() and not error.retriable()
    assert "when `enable.idempotence` is true" in error.str()


def test_confluent_kafka_contradiction_example(example):
    with pytest.raises(KafkaException) as raised:
        example("01_confluent_kafka.py").contradictory_producer()
    assert raised.value.args[0].code() == KafkaError._INVALID_ARG
    assert raised.value.args[0].str() == (
        "Failed to create producer: `acks` must be set to `all` when `enable.idempotence` is true"
    )


def warnings_of(config: dict) -> list[str]:
    """The WARNING (and worse) lines librdkafka logs while a producer with this config is built and flushed."""
    log = logging.getLogger(f"librdkafka.warnings.{id(config)}")
    log.propagate = False
    seen: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = seen.append
    log.addHandler(handler)
    producer = Producer({**config, "logger": log})
    producer.flush(5)  # librdkafka hands its log lines to Python while it is polled
    producer.close()
    return [r.getMessage() for r in seen]


def test_confluent_kafka_acks_1_alone_is_accepted_without_a_warning(example, kafka_topic, kafka_bootstrap):
    # the check can see a configuration warning: a consumer-only property gets one
    assert any(
        "CONFWARN" in w
        for w in warnings_of(
            {"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY, "auto.offset.reset": "earliest"}
        )
    )
    assert warnings_of({"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY, "acks": "1"}) == []

    config = {"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY, "acks": "1"}
    assert example("01_confluent_kafka.py").produce(kafka_topic, config, [b"a"]) == [(None, 0)]
    assert example("03_producer_ids.py").active_producers(kafka_topic) == []  # not idempotent: no producer id


def test_confluent_kafka_admin_client_cannot_describe_producers():
    assert not [name for name in dir(AdminClient) if "producer" in name.lower()]


def test_a_record_the_application_sends_twice_is_stored_twice(example, kafka_topic, kafka_bootstrap):
    mod = example("01_confluent_kafka.py")
    assert mod.produce(kafka_topic, mod.IDEMPOTENT, [b"deposit-100", b"deposit-100"]) == [(None, 0), (None, 1)]
    assert [m.value() for m in read_partition(kafka_bootstrap, kafka_topic)] == [b"deposit-100"] * 2
    [state] = example("03_producer_ids.py").active_producers(kafka_topic)
    assert state.last_sequence == 1  # two sends, two sequence numbers: nothing for the broker to deduplicate


def test_kafka_python_default_is_idempotent(example):
    assert KafkaProducer.DEFAULT_CONFIG["enable_idempotence"] is True
    assert KafkaProducer.DEFAULT_CONFIG["acks"] == -1  # 'all'

    [state] = example("03_producer_ids.py").main()  # a producer built with no settings at all
    assert state.producer_id >= 0
    assert state.last_sequence == 2


def test_kafka_python_idempotent_producer(example, kafka_topic):
    mod = example("02_kafka_python.py")
    metadata = mod.main(kafka_topic)
    assert [m.offset for m in metadata] == [0, 1, 2]
    [state] = example("03_producer_ids.py").active_producers(kafka_topic)
    assert state.last_sequence == 2


def test_kafka_python_explicit_idempotence_with_acks_1_raises(example):
    with pytest.raises(KafkaConfigurationError, match="incompatible with user-provided acks=1"):
        example("02_kafka_python.py").contradictory_producer()


@pytest.mark.parametrize(
    ("setting", "value"), [("acks", 0), ("retries", 0), ("max_in_flight_requests_per_connection", 6)]
)
def test_kafka_python_rejects_contradictions_when_idempotence_is_explicit(kafka_bootstrap, setting, value):
    with pytest.raises(KafkaConfigurationError, match=f"incompatible with user-provided {setting}={value}"):
        KafkaProducer(
            bootstrap_servers=kafka_bootstrap, **KAFKA_PYTHON_SECURITY, enable_idempotence=True, **{setting: value}
        )


def test_kafka_python_acks_1_alone_turns_idempotence_off(example, kafka_topic):
    mod = example("02_kafka_python.py")
    assert mod.acks_1_only() is False

    producer = KafkaProducer(bootstrap_servers=mod.BOOTSTRAP_SERVERS, **KAFKA_PYTHON_SECURITY, acks=1)
    mod.produce(producer, kafka_topic, [b"a"])
    assert example("03_producer_ids.py").active_producers(kafka_topic) == []  # the broker sees no producer id


WARNING = "Idempotence will be disabled because user-provided config conflicts with idempotent defaults: acks=1"
FRESH_PROCESS = """
import logging, sys
from kafka import KafkaProducer
import kafkalab
SECURITY = kafkalab.client_settings("kafka-python")
logging.basicConfig(level=logging.WARNING)
if sys.argv[2] == "after-a-failed-constructor":
    try:
        KafkaProducer(bootstrap_servers=sys.argv[1], **SECURITY, enable_idempotence=True, acks=1)
    except Exception:
        pass
producer = KafkaProducer(bootstrap_servers=sys.argv[1], **SECURITY, acks=1)
print(producer.config["enable_idempotence"])
producer.close(timeout=10)
"""


def run_fresh(bootstrap: str, scenario: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", FRESH_PROCESS, bootstrap, scenario],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_kafka_python_warning_is_logged_in_a_fresh_process(kafka_bootstrap):
    done = run_fresh(kafka_bootstrap, "first-producer")
    assert done.stdout.strip() == "False"
    assert WARNING in done.stderr


def test_kafka_python_warning_is_lost_once_a_producer_was_garbage_collected(kafka_bootstrap):
    # kafka-python 3.0.12 swaps its producer module's logger for a null one when an unclosed producer
    # is destroyed (here: the one whose constructor raised); every later producer logs nothing.
    done = run_fresh(kafka_bootstrap, "after-a-failed-constructor")
    assert done.stdout.strip() == "False"
    assert WARNING not in done.stderr
