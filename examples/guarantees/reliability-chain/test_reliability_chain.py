"""The reliability chain end to end, and the defaults behind each row of the page's table, read from the clients."""

import gc
import math

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, ResourceType
from kafka import KafkaConsumer, KafkaProducer

import kafkalab
from kafkalab.lab import read_partition

SECURITY = kafkalab.client_settings("confluent-kafka")

EXPECTED_TOPIC = {"min.insync.replicas": "2", "unclean.leader.election.enable": "false"}
VALUES = [f"order-{i}".encode() for i in range(5)]


@pytest.mark.usefixtures("kafka_three_brokers")  # replication factor 3
def test_confluent_kafka_chain(example, kafka_bootstrap):
    result = example("01_confluent_kafka.py").main()

    assert result["configs"] == EXPECTED_TOPIC
    state = kafkalab.Admin(kafka_bootstrap).partition(result["topic"])
    assert len(state.replicas) == 3 and sorted(state.isr) == sorted(state.replicas)
    assert result["remaining"] == 0
    assert result["reports"] == [(None, offset) for offset in range(5)]
    assert result["processed"] == VALUES
    assert result["committed"] == 5  # the next offset to read: everything processed is committed


@pytest.mark.usefixtures("kafka_three_brokers")  # replication factor 3
def test_kafka_python_chain(example, kafka_bootstrap):
    result = example("02_kafka_python.py").main()

    assert result["configs"] == EXPECTED_TOPIC
    state = kafkalab.Admin(kafka_bootstrap).partition(result["topic"])
    assert len(state.replicas) == 3 and sorted(state.isr) == sorted(state.replicas)
    assert [m.offset for m in result["metadata"]] == list(range(5))
    assert result["processed"] == VALUES
    assert result["committed"] == 5


def test_retries_are_already_unlimited_and_time_bounds_delivery(librdkafka_default):
    assert librdkafka_default("retries") == "2147483647"
    assert librdkafka_default("delivery.timeout.ms") == "300000"
    assert KafkaProducer.DEFAULT_CONFIG["retries"] == math.inf
    assert KafkaProducer.DEFAULT_CONFIG["delivery_timeout_ms"] == 120000


def test_in_flight_defaults_differ(librdkafka_default):
    assert librdkafka_default("max.in.flight.requests.per.connection") == "1000000"
    assert librdkafka_default("enable.idempotence") == "false"  # so ordering on retry is not protected by default
    assert KafkaProducer.DEFAULT_CONFIG["max_in_flight_requests_per_connection"] == 5


def test_consumer_defaults_differ(librdkafka_default):
    assert librdkafka_default("isolation.level") == "read_committed"
    assert librdkafka_default("enable.auto.commit") == "true"
    assert KafkaConsumer.DEFAULT_CONFIG["isolation_level"] == "read_uncommitted"
    assert KafkaConsumer.DEFAULT_CONFIG["enable_auto_commit"] is True


@pytest.mark.parametrize("shutdown", ["dropped", "close"])
def test_confluent_kafka_queue_is_lost_unless_flushed_or_closed(kafka_topic, kafka_bootstrap, shutdown, capfd):
    producer = Producer({"bootstrap.servers": kafka_bootstrap, **SECURITY, "linger.ms": 2000})
    producer.produce(kafka_topic, value=b"last words")
    if shutdown == "close":
        assert producer.close()
    del producer
    gc.collect()
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == (1 if shutdown == "close" else 0)
    warned = "Producer terminating with 1 message (10 bytes) still in queue or transit" in capfd.readouterr().err
    assert warned == (shutdown == "dropped")  # librdkafka's own log line, on stderr


def test_topic_defaults_min_isr_1_and_no_unclean_election(kafka_topic, kafka_bootstrap):
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap, **SECURITY})
    resource = ConfigResource(ResourceType.TOPIC, kafka_topic)
    entries = admin.describe_configs([resource])[resource].result(timeout=30)
    assert entries["min.insync.replicas"].value == "1"  # a topic that does not set it gets one in-sync replica
    assert entries["unclean.leader.election.enable"].value == "false"
    assert ConfigSource(entries["unclean.leader.election.enable"].source) == ConfigSource.DEFAULT_CONFIG


def test_acks_all_is_the_default_of_both_python_clients(librdkafka_default):
    assert librdkafka_default("acks") == "-1"  # -1 is "all"
    assert KafkaProducer.DEFAULT_CONFIG["acks"] == -1


def test_consumer_session_timeout_default_is_45_seconds(librdkafka_default):
    assert librdkafka_default("session.timeout.ms") == "45000"
    assert KafkaConsumer.DEFAULT_CONFIG["session_timeout_ms"] == 45000


def test_flush_returning_zero_means_every_record_has_an_outcome_not_that_all_succeeded(kafka_bootstrap):
    """flush() counts what is still queued: a record the broker refused has its outcome (an error in its report)."""
    topic = kafkalab.new_topic(kafka_bootstrap, "flush-zero", config={"max.message.bytes": "2000"})
    reports = []
    producer = Producer({"bootstrap.servers": kafka_bootstrap, **SECURITY, "enable.idempotence": True})
    producer.produce(topic, b"x" * 5000, on_delivery=lambda err, msg: reports.append(err))

    assert producer.flush(30) == 0
    assert len(reports) == 1 and reports[0] is not None and reports[0].code() == KafkaError.MSG_SIZE_TOO_LARGE

    producer.produce(topic, b"small", on_delivery=lambda err, msg: reports.append(err))
    assert producer.flush(30) == 0
    assert reports[1:] == [None]
    assert [m.value() for m in read_partition(kafka_bootstrap, topic)] == [b"small"]
