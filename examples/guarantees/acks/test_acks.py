"""What each acks level reports back, checked against what a consumer reads from the partition."""

import time

from confluent_kafka import Consumer, TopicPartition

import kafkalab

SECURITY = kafkalab.client_settings("confluent-kafka")


def log_of(bootstrap: str, topic: str, expected: int = 9, timeout: float = 10.0) -> dict[bytes, int]:
    """value -> offset for every record in partition 0, once `expected` records are there (or the time is up).

    acks=0 reports success before the broker has appended anything, so the last records can arrive late."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, **SECURITY, "group.id": "acks-check", "enable.auto.commit": False}
    )
    try:
        deadline = time.monotonic() + timeout
        while (end := consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]) < expected:
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        consumer.assign([TopicPartition(topic, 0, 0)])
        found = {}
        while len(found) < end:
            msg = consumer.poll(10)
            assert msg is not None, "records missing from the partition"
            assert msg.error() is None
            found[msg.value()] = msg.offset()
        return found
    finally:
        consumer.close()


def test_confluent_kafka_acks_levels(example, kafka_topic, kafka_bootstrap):
    reports = example("01_confluent_kafka.py").main(kafka_topic)
    log = log_of(kafka_bootstrap, kafka_topic)
    assert len(log) == 9

    for acks in ("1", "all"):
        assert [err for err, _, _ in reports[acks]] == [None] * 3
        offsets = [offset for _, _, offset in reports[acks]]
        assert offsets == [log[f"acks-{acks}-{i}".encode()] for i in range(3)]

    # acks=0: a "successful" report with no offset at all (librdkafka's OFFSET_INVALID becomes None)
    assert reports["0"] == [(None, 0, None)] * 3
    assert all(f"acks-0-{i}".encode() in log for i in range(3))  # written, this time: nobody confirmed it


def test_kafka_python_acks_levels(example, kafka_topic, kafka_bootstrap):
    metadata = example("02_kafka_python.py").main(kafka_topic)
    log = log_of(kafka_bootstrap, kafka_topic)
    assert len(log) == 9

    for acks in ("1", "all"):
        assert [m.offset for m in metadata[acks]] == [log[f"acks-{acks}-{i}".encode()] for i in range(3)]

    # acks=0: kafka-python 3.0.12 reports the record's index in its batch, not -1 as its docstring says
    real = [log[f"acks-0-{i}".encode()] for i in range(3)]
    reported = [m.offset for m in metadata["0"]]
    assert real == [6, 7, 8]  # written after the six acknowledged records
    assert all(0 <= offset < 3 for offset in reported)
    assert all(r != o for r, o in zip(reported, real, strict=True))
