"""Threads and one producer: shared by every thread or one per thread, for both Python clients. Every record
is delivered and read back once, each thread's records in the order it sent them, and the delivery
callbacks run where the page says: confluent-kafka's in the thread that called poll()/flush(), kafka-python's
in its sender thread."""

import threading
from collections import Counter, defaultdict

import pytest

from kafkalab import new_topic
from kafkalab.lab import read_topic

THREADS, PER_THREAD = 4, 500


@pytest.fixture
def topic(kafka_bootstrap, kafka_three_brokers):  # replication factor 3
    return new_topic(
        kafka_bootstrap, "threads", partitions=3, replication_factor=3, config={"min.insync.replicas": "2"}
    )


def assert_once_and_in_order(bootstrap: str, topic: str, reports: list[dict]) -> None:
    expected = {f"thread-{n}:{seq}" for n in range(THREADS) for seq in range(PER_THREAD)}
    assert len(reports) == len(expected) and all(r["error"] is None for r in reports)
    assert {r["value"] for r in reports} == expected
    records = read_topic(bootstrap, topic)
    values = [m.value().decode() for m in records]
    assert Counter(values) == Counter(expected), "every record once, nothing else"
    by_key = defaultdict(list)
    for m in records:  # read partition by partition, offsets increasing
        by_key[m.key().decode()].append((m.partition(), int(m.value().decode().split(":")[1])))
    for key, seen in by_key.items():
        assert len({p for p, _ in seen}) == 1, f"{key} on one partition"
        assert [s for _, s in seen] == list(range(PER_THREAD)), f"{key}: the thread's order"


def test_confluent_kafka_shared_producer(example, topic, kafka_bootstrap):
    ex = example("01_confluent_kafka.py")
    reports = ex.send_from_threads(ex.Producer(ex.config()), topic, THREADS, PER_THREAD)
    assert_once_and_in_order(kafka_bootstrap, topic, reports)
    callback_threads = Counter(r["callback_thread"] for r in reports)
    senders = {f"sender-{n}" for n in range(THREADS)}
    # only threads that called poll() or flush() ran a callback: the senders, and the main thread's flush()
    assert set(callback_threads) <= senders | {threading.current_thread().name}
    print(f"\nconfluent-kafka shared: callbacks by thread {dict(callback_threads)}")


def test_confluent_kafka_producer_per_thread(example, topic, kafka_bootstrap):
    ex = example("01_confluent_kafka.py")
    reports = ex.one_producer_per_thread(ex.config(), topic, THREADS, PER_THREAD)
    assert_once_and_in_order(kafka_bootstrap, topic, reports)
    for r in reports:  # each producer's callbacks ran in its own sender's poll() or its owner's flush()
        n = r["value"].split(":")[0].removeprefix("thread-")
        assert r["callback_thread"] in {f"sender-{n}", f"owner-{n}"}, r


def test_kafka_python_shared_producer(example, topic, kafka_bootstrap):
    ex = example("02_kafka_python.py")
    producer = ex.make_producer("threads-shared")
    try:
        reports = ex.send_from_threads(producer, topic, THREADS, PER_THREAD)
        sender = producer._sender  # the producer's own network thread
        assert {r["callback_thread"] for r in reports} == {sender.name} == {"threads-shared-network-thread"}
    finally:
        producer.close(timeout=10)
    assert_once_and_in_order(kafka_bootstrap, topic, reports)


def test_kafka_python_producer_per_thread(example, topic, kafka_bootstrap):
    ex = example("02_kafka_python.py")
    reports = ex.one_producer_per_thread(topic, THREADS, PER_THREAD)
    assert_once_and_in_order(kafka_bootstrap, topic, reports)
    for r in reports:
        n = r["value"].split(":")[0].removeprefix("thread-")
        assert r["callback_thread"] == f"threads-example-{n}-network-thread", r


def test_confluent_kafka_callback_runs_in_the_thread_that_flushes_not_the_one_that_produced(example, topic):
    ex = example("01_confluent_kafka.py")
    producer = ex.Producer(ex.config())
    ran_in = []
    on_delivery = lambda err, msg: ran_in.append((err, threading.current_thread().name))  # noqa: E731
    producing = threading.Thread(target=lambda: producer.produce(topic, b"v", on_delivery=on_delivery), name="a")
    producing.start()
    producing.join(10)
    flushing = threading.Thread(target=lambda: producer.flush(30), name="b")
    flushing.start()
    flushing.join(40)
    assert ran_in == [(None, "b")]
