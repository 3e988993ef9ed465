"""First proof that the cluster is real: acks=all to an RF=3 topic, read back, from both Python clients."""

import uuid

import pytest
from confluent_kafka import Consumer, Producer
from kafka import KafkaConsumer, KafkaProducer

RECORDS = [(f"key-{i}".encode(), f"value-{i}".encode()) for i in range(30)]
HEADERS = [("trace-id", b"\x00abc"), ("source", b"first-proof")]


@pytest.fixture
def topic(kafka_cluster):
    name = f"first-proof-{uuid.uuid4().hex[:8]}"
    kafka_cluster.create_topic(name, partitions=3, replication_factor=3)
    assert len(kafka_cluster.partition(name).isr) == 3
    return name


def _confluent_produce(bootstrap: str, topic: str) -> dict:
    reports = {}

    def on_delivery(err, msg):
        assert err is None, err
        reports[msg.key()] = (msg.partition(), msg.offset())

    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for key, value in RECORDS:
        p.produce(topic, value=value, key=key, headers=HEADERS, on_delivery=on_delivery)
    assert p.flush(30) == 0
    return reports


def _kafka_python_produce(bootstrap: str, topic: str) -> dict:
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    futures = {key: p.send(topic, value=value, key=key, headers=HEADERS) for key, value in RECORDS}
    reports = {key: (md.partition, md.offset) for key, md in ((k, f.get(timeout=30)) for k, f in futures.items())}
    p.close(timeout=10)
    return reports


def _confluent_consume(bootstrap: str, topic: str) -> dict:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": topic, "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    seen = {}
    try:
        for _ in range(60):
            for msg in c.consume(num_messages=100, timeout=1.0):
                assert msg.error() is None, msg.error()
                seen[msg.key()] = (msg.partition(), msg.offset(), msg.value(), msg.headers())
            if len(seen) == len(RECORDS):
                break
    finally:
        c.close()
    return seen


def _kafka_python_consume(bootstrap: str, topic: str) -> dict:
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=topic, auto_offset_reset="earliest")
    seen = {}
    try:
        for _ in range(60):
            for records in c.poll(timeout_ms=1000).values():
                for r in records:
                    seen[r.key] = (r.partition, r.offset, r.value, r.headers)
            if len(seen) == len(RECORDS):
                break
    finally:
        c.close()
    return seen


PRODUCERS = {"confluent-kafka": _confluent_produce, "kafka-python": _kafka_python_produce}
CONSUMERS = {"confluent-kafka": _confluent_consume, "kafka-python": _kafka_python_consume}


@pytest.mark.parametrize("consumer", CONSUMERS)
@pytest.mark.parametrize("producer", PRODUCERS)
def test_acks_all_round_trip(kafka_bootstrap, topic, producer, consumer):
    reports = PRODUCERS[producer](kafka_bootstrap, topic)
    seen = CONSUMERS[consumer](kafka_bootstrap, topic)

    assert set(seen) == {key for key, _ in RECORDS}
    for key, value in RECORDS:
        partition, offset, got_value, headers = seen[key]
        assert reports[key] == (partition, offset), "delivery report and consumer agree on where it landed"
        assert got_value == value
        assert [(k, bytes(v)) for k, v in headers] == HEADERS, "headers round-trip as bytes"
    per_partition = {}
    for partition, offset in reports.values():
        per_partition.setdefault(partition, []).append(offset)
    for offsets in per_partition.values():
        assert sorted(offsets) == list(range(len(offsets))), "offsets of a fresh partition are 0..n-1"
