"""Headers come back as (str, bytes) pairs; a key always maps to one partition, but not the same one in every client;
records without a key stick to one partition for a while (per client rules), then move on."""

import itertools
import re
import time
import zlib

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions
from kafka import KafkaProducer
from kafka.partitioner import DefaultPartitioner
from kafka.partitioner.default import murmur2

import kafkalab
from kafkalab import logdump

CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")

KEYS = [f"order-{i}".encode() for i in range(24)]
PARTITIONS = 6


@pytest.fixture
def keyed_topic(kafka_bootstrap):
    return kafkalab.new_topic(kafka_bootstrap, "keys", partitions=PARTITIONS)


@pytest.fixture
def keyless_topic(kafka_bootstrap):
    return kafkalab.new_topic(kafka_bootstrap, "keyless", partitions=3)


def runs(partitions: list[int]) -> list[tuple[int, int]]:
    """(partition, how many records in a row went there), in the order the records were produced."""
    return [(partition, len(list(group))) for partition, group in itertools.groupby(partitions)]


def test_confluent_kafka_headers_round_trip(example, kafka_topic):
    mod = example("01_confluent_kafka.py")
    assert mod.send_with_headers(kafka_topic) == 0

    plain = mod.Producer({"bootstrap.servers": mod.BOOTSTRAP_SERVERS, **CONFLUENT_SECURITY})
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
    producer = mod.Producer({"bootstrap.servers": mod.BOOTSTRAP_SERVERS, **CONFLUENT_SECURITY})
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
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, **KAFKA_PYTHON_SECURITY)
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


@pytest.mark.parametrize("client", ["01_confluent_kafka.py", "02_kafka_python.py"])
def test_records_of_one_key_are_read_back_in_the_order_they_were_written(example, kafka_bootstrap, client):
    topic = kafkalab.new_topic(kafka_bootstrap, "key-order", partitions=PARTITIONS)
    keys = [b"order-1", b"order-2", b"order-3"]
    if client.startswith("01"):
        producer = example(client).Producer({"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY})
        for i in range(30):
            producer.produce(topic, key=keys[i % 3], value=b"%d" % i)
        assert producer.flush(10) == 0
    else:
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, **KAFKA_PYTHON_SECURITY)
        for i in range(30):
            producer.send(topic, key=keys[i % 3], value=b"%d" % i)
        producer.close(timeout=10)

    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            **CONFLUENT_SECURITY,
            "group.id": "order-reader",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    read = {}
    deadline = time.monotonic() + 20
    while sum(map(len, read.values())) < 30 and time.monotonic() < deadline:
        record = consumer.poll(0.5)
        if record is not None and record.error() is None:
            read.setdefault(record.key(), []).append(int(record.value()))
    consumer.close()
    assert read == {key: list(range(n, 30, 3)) for n, key in enumerate(keys)}


def await_partition_count(bootstrap: str, topic: str, count: int, timeout: float = 20.0) -> None:
    """Until every broker's metadata shows `count` partitions with a leader (a new producer may ask any of them)."""
    deadline = time.monotonic() + timeout
    for broker in bootstrap.split(","):
        while True:
            partitions = kafkalab.Admin(broker).metadata(topic).topics[topic].partitions
            if len(partitions) == count and all(p.leader >= 0 for p in partitions.values()):
                break
            assert time.monotonic() < deadline, f"{broker}: {topic} has {len(partitions)} partitions"
            time.sleep(0.2)


def test_adding_partitions_moves_keys_but_not_their_older_records(example, kafka_bootstrap, keyed_topic):
    python = example("02_kafka_python.py")
    before = {k: p.pop() for k, p in python.partitions_by_key(keyed_topic, KEYS, rounds=1).items()}
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY})
    admin.create_partitions([NewPartitions(keyed_topic, 2 * PARTITIONS)])[keyed_topic].result(30)
    await_partition_count(kafka_bootstrap, keyed_topic, 2 * PARTITIONS)
    after = {k: p.pop() for k, p in python.partitions_by_key(keyed_topic, KEYS, rounds=1).items()}

    assert after == {k: (murmur2(k) & 0x7FFFFFFF) % (2 * PARTITIONS) for k in KEYS}
    assert sum(before[k] != after[k] for k in KEYS) > len(KEYS) // 2  # 13 of the 24 keys move
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            **CONFLUENT_SECURITY,
            "group.id": "keys-reader",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(keyed_topic, p, 0) for p in range(2 * PARTITIONS)])
    found, read = {}, 0
    deadline = time.monotonic() + 20
    while read < 2 * len(KEYS) and time.monotonic() < deadline:
        record = consumer.poll(0.5)
        if record is not None and record.error() is None:
            found.setdefault(record.key(), set()).add(record.partition())
            read += 1
    consumer.close()
    assert found == {k: {before[k], after[k]} for k in KEYS}  # the first record of each key stayed where it was


def test_mains_run_on_their_own_topics(example):
    confluent = example("01_confluent_kafka.py").main()
    python = example("02_kafka_python.py").main()

    assert len(confluent["headers"]) == 2 and len(python["headers"]) == 1
    for landed in (confluent["default"], confluent["murmur2_random"], python["default"]):
        assert len(landed) == 12 and all(len(parts) == 1 for parts in landed.values())
    for keyless in (confluent["keyless"], python["keyless"], python["keyless sticky"]):
        assert len(keyless) == 600 and set(keyless) <= {0, 1, 2}


def test_librdkafka_keyless_defaults(librdkafka_default):
    assert librdkafka_default("partitioner") == "consistent_random"
    assert librdkafka_default("sticky.partitioning.linger.ms") == "10"


@pytest.mark.parametrize(
    "config",
    [{}, {"partitioner": "murmur2_random"}, {"sticky.partitioning.linger.ms": 0}],
    ids=["default", "murmur2_random", "sticky-off"],
)
def test_confluent_kafka_keyless_burst_moves_at_most_once_per_sticky_linger(example, keyless_topic, config):
    mod = example("01_confluent_kafka.py")
    started = time.monotonic()
    partitions = mod.partitions_without_key(keyless_topic, config=config)
    elapsed_ms = (time.monotonic() - started) * 1000

    assert len(partitions) == 600 and None not in partitions
    if "sticky.partitioning.linger.ms" not in config:
        # librdkafka picks a new sticky partition only when 10 ms have passed since the last pick
        assert len(runs(partitions)) <= 1 + elapsed_ms // 10, (elapsed_ms, runs(partitions))
    else:
        assert len(runs(partitions)) > len(partitions) // 3  # 0 turns stickiness off: a random partition per record
        assert set(partitions) == {0, 1, 2}


def test_confluent_kafka_keyless_bursts_spread_over_every_partition(example, keyless_topic):
    partitions = example("01_confluent_kafka.py").partitions_without_key(keyless_topic, 50, 10, pause=0.02)

    assert len(partitions) == 500 and None not in partitions
    assert set(partitions) == {0, 1, 2}  # 50 fresh random picks, one per burst


@pytest.mark.parametrize("partitioner", ["consistent", "murmur2"])
def test_confluent_kafka_hash_only_partitioners_send_every_keyless_record_to_one_partition(
    example, keyless_topic, partitioner
):
    mod = example("01_confluent_kafka.py")
    partitions = mod.partitions_without_key(keyless_topic, 20, 5, pause=0.02, config={"partitioner": partitioner})

    assert len(partitions) == 100 and None not in partitions
    assert len(set(partitions)) == 1


def test_kafka_python_default_partitioner_picks_a_random_partition_per_record(example, keyless_topic):
    assert type(KafkaProducer.DEFAULT_CONFIG["partitioner"]) is DefaultPartitioner
    partitions = example("02_kafka_python.py").partitions_without_key(keyless_topic)

    assert len(partitions) == 600
    assert len(runs(partitions)) > len(partitions) // 3  # uniform random: about 2 in 3 records change partition
    assert set(partitions) == {0, 1, 2}


def test_kafka_python_sticky_partitioner_moves_with_every_new_batch(example, kafka_cluster, keyless_topic):
    mod = example("02_kafka_python.py")
    partitions = mod.partitions_without_key(keyless_topic, config=mod.sticky_config())
    stored = {}
    for partition in set(partitions):
        batches = logdump.stored_batches(kafka_cluster, keyless_topic, partition)
        stored[partition] = [batch.last_offset - batch.base_offset + 1 for batch in batches]

    assert len(partitions) == 600
    assert len(runs(partitions)) >= 600 * 100 // 16384 + 1  # at least as many runs as 16 KB batches needed
    # Each run of records on one partition is exactly one stored batch, in order.
    run_lengths = {p: [n for q, n in runs(partitions) if q == p] for p in stored}
    assert run_lengths == stored


def test_kafka_python_sticky_partitioner_spreads_over_every_partition(example, keyless_topic):
    mod = example("02_kafka_python.py")
    config = {**mod.sticky_config(), "batch_size": 1024}
    partitions = mod.partitions_without_key(keyless_topic, per_burst=1200, config=config)

    assert len(partitions) == 1200
    assert len(runs(partitions)) >= 1200 * 100 // 1024
    assert set(partitions) == {0, 1, 2}
