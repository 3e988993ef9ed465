"""When each client runs delivery callbacks, what flush() reports, and what happens at shutdown."""

import threading

from confluent_kafka import KafkaError

from kafkalab.lab import read_partition


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
    assert result["remaining"] == 0
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 6


def test_confluent_kafka_flush_returns_what_is_still_queued(example):
    result = example("01_confluent_kafka.py").flush_counts_what_is_left()

    assert result["still_queued"] == 1
    assert result["after_timeout"] == 0  # 0 only means "queue empty": the record failed
    assert [err.code() for err in result["errors"]] == [KafkaError._MSG_TIMED_OUT]


def test_confluent_kafka_without_flush_records_are_lost(example, kafka_topic, kafka_bootstrap):
    example("01_confluent_kafka.py").forget_to_flush(kafka_topic, 100)

    assert len(read_partition(kafka_bootstrap, kafka_topic)) < 100


def test_kafka_python_callback_fires_without_any_call(example, kafka_topic):
    result = example("02_kafka_python.py").main(kafka_topic)

    assert result["arrived"] is True
    assert len(result["threads"]) == 1
    assert result["threads"][0] != result["caller"]
    assert "network-thread" in result["threads"][0]  # kafka-python's sender (I/O) thread


def test_kafka_python_flush_raises_on_timeout(example, kafka_topic):
    result = example("02_kafka_python.py").flush_times_out(kafka_topic)

    assert result["timed_out"] is True
    assert result["offset"] == 0


def test_kafka_python_close_flushes(example, kafka_topic, kafka_bootstrap):
    example("02_kafka_python.py").close_flushes(kafka_topic, 100)

    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 100
