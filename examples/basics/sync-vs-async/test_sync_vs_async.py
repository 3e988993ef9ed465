"""When each client runs delivery callbacks, what flush() reports, and what happens at shutdown."""

import gc
import re
import threading
import time
import uuid
import warnings

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient
from kafka import KafkaProducer

import kafkalab
from kafkalab.lab import read_partition

CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")


def test_confluent_kafka_callbacks_wait_for_flush(example, kafka_topic):
    result = example("01_confluent_kafka.py").main(kafka_topic)

    assert result["written"] == 5  # every record was acknowledged and is in the log
    assert result["before"] == 0  # but without poll()/flush() no callback ran
    assert result["after"] == 5
    assert result["threads"] == {threading.current_thread().name}  # flush() ran them on the caller's thread


def test_confluent_kafka_unserved_reports_fill_the_queue(example, kafka_topic, kafka_bootstrap):
    result = example("01_confluent_kafka.py").queue_fills_without_poll(kafka_topic)

    assert result["written"] == 5
    assert result["refused"] is True
    assert result["served"] >= 1
    assert result["queued"] == 0  # one poll() served every report
    assert result["remaining"] == 0
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 6


def test_confluent_kafka_flush_returns_what_is_still_queued(example, kafka_bootstrap):
    result = example("01_confluent_kafka.py").flush_counts_what_is_left()

    assert result["still_queued"] == 1
    assert result["after_timeout"] == 0  # 0 only means "queue empty": the record failed
    assert [err.code() for err in result["errors"]] == [KafkaError._MSG_TIMED_OUT]
    topics = AdminClient({"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY}).list_topics(timeout=10).topics
    assert result["topic"] not in topics, "producing to it did not create it"


def test_confluent_kafka_without_flush_records_are_lost(example, kafka_topic, kafka_bootstrap, capfd):
    example("01_confluent_kafka.py").forget_to_flush(kafka_topic, 100)

    assert len(read_partition(kafka_bootstrap, kafka_topic)) < 100
    logged = capfd.readouterr().err
    assert re.search(
        r"Producer terminating with 100 messages \(\d+ bytes\) still in queue or transit: "
        r"use flush\(\) to wait for outstanding message delivery",
        logged,
    ), logged


def test_confluent_kafka_close_flushes_without_a_timeout_of_its_own(kafka_topic, kafka_bootstrap):
    producer = Producer({"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY})
    reports = []

    def on_delivery(err, msg):
        reports.append((err, threading.current_thread().name))

    for i in range(100):
        producer.produce(kafka_topic, f"event-{i}".encode(), on_delivery=on_delivery)
    assert producer.close() is True
    caller = threading.current_thread().name
    assert reports == [(None, caller)] * 100, "close() delivered every record, callbacks ran on this thread"
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 100
    with pytest.raises(RuntimeError, match="closed"):
        producer.produce(kafka_topic, b"too late")

    stuck = Producer({"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY, "message.timeout.ms": 3000})
    errors = []
    stuck.produce(f"no-such-topic-{uuid.uuid4().hex[:8]}", b"nowhere", on_delivery=lambda err, msg: errors.append(err))
    assert stuck.flush(0.5) == 1
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        stuck.close()
    waited = time.monotonic() - started
    assert 2.0 <= waited <= 10, f"close() waited {waited:.1f}s: until the message timed out"
    assert [err.code() for err in errors] == [KafkaError._MSG_TIMED_OUT]


def test_flush_sends_at_once_whatever_linger_says(kafka_topic, kafka_bootstrap):
    linger = 5000
    confluent = Producer({"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY, "linger.ms": linger})
    kafka_python = KafkaProducer(bootstrap_servers=kafka_bootstrap, **KAFKA_PYTHON_SECURITY, linger_ms=linger)
    try:
        for producer, send in ((confluent, confluent.produce), (kafka_python, kafka_python.send)):
            send(kafka_topic, value=b"warm-up")
            producer.flush(10)
            send(kafka_topic, value=b"held back by linger")
            started = time.monotonic()
            producer.flush(10)
            assert time.monotonic() - started < linger / 1000 / 2
    finally:
        kafka_python.close(timeout=10)
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 4


def test_kafka_python_callback_fires_without_any_call(example, kafka_topic):
    result = example("02_kafka_python.py").main(kafka_topic)

    assert result["arrived"] is True
    assert len(result["threads"]) == 1
    assert result["threads"][0] != result["caller"]
    assert re.fullmatch(r"kafka-python-producer-\d+-network-thread", result["threads"][0])  # the sender thread


def test_kafka_python_flush_raises_on_timeout(example, kafka_topic):
    result = example("02_kafka_python.py").flush_times_out(kafka_topic)

    assert result["timed_out"] is True
    assert result["offset"] == 0


def test_kafka_python_close_flushes(example, kafka_topic, kafka_bootstrap):
    example("02_kafka_python.py").close_flushes(kafka_topic, 100)

    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 100


def test_kafka_python_slow_callback_holds_up_every_other_record(kafka_topic, kafka_bootstrap):
    """The sender thread runs the callbacks: while one sleeps, no other record of the producer completes."""
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, **KAFKA_PYTHON_SECURITY)
    try:
        producer.send(kafka_topic, b"warm-up").get(timeout=10)
        started = time.monotonic()
        producer.send(kafka_topic, b"slow").add_callback(lambda metadata: time.sleep(2))
        time.sleep(0.5)  # the slow callback is running by now
        producer.send(kafka_topic, b"next").get(timeout=10)
        waited = time.monotonic() - started
    finally:
        producer.close(timeout=10)
    assert waited >= 1.9, f"the next record completed after {waited:.1f}s"


def test_kafka_python_a_forgotten_producer_is_closed_for_you(kafka_topic, kafka_bootstrap):
    """Dropped without flush() or close(): garbage collection runs close(timeout=1), which flushes."""

    def forget() -> str:
        # linger_ms=60000: nothing leaves on its own
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, **KAFKA_PYTHON_SECURITY, linger_ms=60_000)
        for i in range(100):
            producer.send(kafka_topic, f"event-{i}".encode())
        return producer.config["client_id"]

    client_id = forget()
    gc.collect()  # in case a reference cycle outlived the function
    assert not any(t.name == f"{client_id}-network-thread" for t in threading.enumerate()), "closed"
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 100
