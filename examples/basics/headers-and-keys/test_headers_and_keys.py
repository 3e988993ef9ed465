"""Headers come back as (str, bytes) pairs; a key always maps to one partition, but not the same one in every client."""

import re
import zlib

import pytest
from kafka import KafkaProducer
from kafka.partitioner.default import murmur2

import kafkalab

KEYS = [f"order-{i}".encode() for i in range(24)]
PARTITIONS = 6


@pytest.fixture
def keyed_topic(kafka_bootstrap):
    return kafkalab.new_topic(kafka_bootstrap, "keys", partitions=PARTITIONS)


def test_confluent_kafka_headers_round_trip(example, kafka_topic):
    mod = example("01_confluent_kafka.py")
    assert mod.send_with_headers(kafka_topic) == 0

    plain = mod.Producer({"bootstrap.servers": mod.BOOTSTRAP_SERVERS})
    plain.produce(kafka_topic, value=b"plain", headers=[("empty", None)])
    plain.produce(kafka_topic, value=b"bare")
    assert plain.flush(10) == 0

    first, second, third, fourth = mod.read_headers(kafka_topic, count=4)
    assert first == (
        b"created",
        [("correlation-id", b"abc-123"), ("source", b"order-service"), ("hop", b"1"), ("hop", b"2")],
    )  # order and repeated names kept; the str value came back as bytes
    assert second == (b"paid", [("correlation-id", b"abc-124")])  # a dict goes in, a list comes out
    assert third == (b"plain", [("empty", None)])
    assert fourth == (b"bare", None)  # no headers: None, not an empty list


def test_confluent_kafka_rejects_other_header_value_types(example, kafka_topic):
    mod = example("01_confluent_kafka.py")
    producer = mod.Producer({"bootstrap.servers": mod.BOOTSTRAP_SERVERS})
    with pytest.raises(TypeError, match="expected header value to be None, binary, or unicode string, not int"):
        producer.produce(kafka_topic, value=b"event", headers={"attempt": 1})
    assert producer.flush(10) == 0


def test_kafka_python_headers_round_trip(example, kafka_topic):
    mod = example("02_kafka_python.py")
    mod.send_with_headers(kafka_topic)

    assert mod.read_headers(kafka_topic) == [
        (b"created", [("correlation-id", b"abc-123"), ("source", b"order-service"), ("hop", b"1"), ("hop", b"2")])
    ]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"source": b"api"}, "headers must be list-type"),
        ([("source", "api")], "All headers items must be (str, bytes) tuples"),
    ],
)
def test_kafka_python_wants_a_list_of_str_bytes_pairs(kafka_bootstrap, kafka_topic, headers, message):
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    try:
        with pytest.raises(TypeError, match=re.escape(message)):
            producer.send(kafka_topic, value=b"event", headers=headers)
    finally:
        producer.close(timeout=10)


def test_same_key_same_partition_within_each_client(example, keyed_topic):
    confluent = example("01_confluent_kafka.py").partitions_by_key(keyed_topic, KEYS)
    python = example("02_kafka_python.py").partitions_by_key(keyed_topic, KEYS)

    assert set(confluent) == set(python) == set(KEYS)
    assert all(len(parts) == 1 for parts in confluent.values())
    assert all(len(parts) == 1 for parts in python.values())


def test_clients_disagree_on_partitions_unless_configured(example, keyed_topic):
    cfk = example("01_confluent_kafka.py")
    confluent = {k: p.pop() for k, p in cfk.partitions_by_key(keyed_topic, KEYS, rounds=1).items()}
    murmur = {k: p.pop() for k, p in cfk.partitions_by_key(keyed_topic, KEYS, cfk.java_compatible_config(), 1).items()}
    python = {k: p.pop() for k, p in example("02_kafka_python.py").partitions_by_key(keyed_topic, KEYS, 1).items()}

    # librdkafka's default (consistent_random) is CRC32 of the key; kafka-python uses the Java client's murmur2.
    assert confluent == {k: zlib.crc32(k) % PARTITIONS for k in KEYS}
    assert python == {k: (murmur2(k) & 0x7FFFFFFF) % PARTITIONS for k in KEYS}
    assert sum(confluent[k] != python[k] for k in KEYS) > len(KEYS) // 2  # most keys land elsewhere
    assert murmur == python  # partitioner=murmur2_random: every key agrees


def test_mains_run_on_their_own_topics(example):
    confluent = example("01_confluent_kafka.py").main()
    python = example("02_kafka_python.py").main()

    assert len(confluent["headers"]) == 2 and len(python["headers"]) == 1
    for landed in (confluent["default"], confluent["murmur2_random"], python["default"]):
        assert len(landed) == 12 and all(len(parts) == 1 for parts in landed.values())
