"""Each tuning profile delivers every record with no error; the settings some clients lack are refused."""

import pytest
from confluent_kafka import KafkaError, KafkaException
from kafka import codec

PROFILES = ["high-throughput", "low-latency", "max-reliability"]


@pytest.mark.usefixtures("kafka_three_brokers")  # replication factor 3
@pytest.mark.parametrize("profile", PROFILES)
def test_confluent_kafka_profile_delivers_everything(example, profile):
    mod = example("01_profiles_confluent_kafka.py")
    result = mod.main(profile)
    assert result["errors"] == [] and result["remaining"] == 0
    assert result["delivered"] == mod.RECORDS
    assert result["read_back"] == mod.RECORDS


@pytest.mark.usefixtures("kafka_three_brokers")  # replication factor 3
@pytest.mark.parametrize("profile", PROFILES)
def test_kafka_python_profile_delivers_everything(example, profile):
    mod = example("02_profiles_kafka_python.py")
    result = mod.main(profile)
    assert result["errors"] == []
    assert result["delivered"] == mod.RECORDS
    assert result["read_back"] == mod.RECORDS
    assert result["idempotent"] is (profile != "low-latency")


def test_confluent_kafka_has_no_buffer_memory(example):
    error = example("01_profiles_confluent_kafka.py").buffer_memory_is_rejected()
    assert type(error) is KafkaException and error.args[0].code() == KafkaError._INVALID_ARG


def test_kafka_python_refuses_buffer_memory_and_lz4_without_the_package(example):
    outcomes = example("02_profiles_kafka_python.py").unsupported_settings()
    assert type(outcomes["buffer_memory"]) is ValueError
    assert not codec.has_lz4(), "the page says lz4 is not installed in the project's environment"
    assert type(outcomes["lz4"]) is RuntimeError
    assert codec.has_gzip()


def test_kafka_python_acks_1_silently_drops_idempotence(example):
    assert example("02_profiles_kafka_python.py").idempotence_with_acks_1() is False


@pytest.mark.parametrize("batch_size", [16384, 65536])
def test_java_sized_batch_sizes_cut_librdkafka_batches(example, kafka_topic, batch_size):
    """The old advice's batch.size values, below librdkafka's 1,000,000 bytes: far more, far smaller batches."""
    mod = example("01_profiles_confluent_kafka.py")
    default = mod.batch_sizes(kafka_topic, 20_000)
    small = mod.batch_sizes(kafka_topic, 20_000, **{"batch.size": batch_size})
    assert default["remaining"] == small["remaining"] == 0
    assert small["largest"] <= batch_size < default["largest"]
    assert small["batches"] >= 5 * default["batches"], (small, default)
