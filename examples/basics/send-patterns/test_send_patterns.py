"""The three send patterns, on a healthy topic and on a topic that rejects every record (max.message.bytes=1024).

Only the synchronous and the callback patterns ever learn about the rejection; fire-and-forget looks like success.
"""

import contextlib
import logging
import os
import threading
import time
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from kafka import KafkaProducer
from kafka.errors import MessageSizeTooLargeError

import kafkalab
from kafkalab.lab import read_partition, wait_until

SECURITY = kafkalab.client_settings("confluent-kafka")

TOO_BIG = b"x" * 4096  # the topic below accepts record batches up to 1 KiB


@pytest.fixture
def small_topic(kafka_bootstrap):
    return kafkalab.new_topic(kafka_bootstrap, "send-patterns-small", config={"max.message.bytes": "1024"})


def test_confluent_kafka_patterns_deliver_in_order(example, kafka_topic, kafka_bootstrap):
    result = example("01_confluent_kafka.py").main(kafka_topic)

    assert result["fire_and_forget_remaining"] == 0
    assert result["sync"] == [(0, 3), (0, 4), (0, 5)]  # after the three fire-and-forget records
    assert result["async_failed"] == []
    assert result["async_remaining"] == 0
    assert result["async_delivered"] == [(0, 6), (0, 7), (0, 8)]
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 9


def test_kafka_python_patterns_deliver_in_order(example, kafka_topic, kafka_bootstrap):
    result = example("02_kafka_python.py").main(kafka_topic)

    assert result["sync"] == [(0, 3), (0, 4), (0, 5)]
    assert result["async_failed"] == []
    assert result["async_delivered"] == [(0, 6), (0, 7), (0, 8)]
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 9


def test_confluent_kafka_rejection_seen_only_by_sync_and_callback(example, small_topic, kafka_bootstrap):
    mod = example("01_confluent_kafka.py")
    producer = mod.new_producer()

    assert mod.fire_and_forget(producer, small_topic, [TOO_BIG]) == 0  # "nothing queued" although nothing written

    with pytest.raises(KafkaException) as raised:
        mod.send_sync(producer, small_topic, TOO_BIG)
    assert raised.value.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE

    delivered, failed, remaining = mod.send_async(producer, small_topic, [TOO_BIG])
    assert (delivered, remaining) == ([], 0)
    assert [err.code() for err in failed] == [KafkaError.MSG_SIZE_TOO_LARGE]

    assert len(read_partition(kafka_bootstrap, small_topic)) == 0


def test_kafka_python_rejection_seen_only_by_sync_and_callback(example, small_topic, kafka_bootstrap, caplog):
    """A new producer per pattern: after one rejection kafka-python's idempotent producer fails every send."""
    mod = example("02_kafka_python.py")
    caplog.set_level(logging.WARNING, logger="kafka")

    assert len(TOO_BIG) < KafkaProducer.DEFAULT_CONFIG["max_request_size"] == 1048576  # the client's own limit
    producer = mod.new_producer()
    try:
        mod.fire_and_forget(producer, small_topic, [TOO_BIG])  # returns normally: the failure is only logged
        assert any("Failed to produce messages" in r.getMessage() for r in caplog.records), "a logged warning"
        with pytest.raises(MessageSizeTooLargeError):
            mod.send_sync(producer, small_topic, b"small enough")  # refused too: the producer stays failed
    finally:
        producer.close(timeout=10)

    producer = mod.new_producer()
    try:
        with pytest.raises(MessageSizeTooLargeError) as raised:
            mod.send_sync(producer, small_topic, TOO_BIG)
        assert raised.value.errno == 10
    finally:
        producer.close(timeout=10)

    producer = mod.new_producer()
    try:
        delivered, failed = mod.send_async(producer, small_topic, [TOO_BIG])
        assert delivered == []
        assert [type(exc) for exc in failed] == [MessageSizeTooLargeError]
    finally:
        producer.close(timeout=10)

    assert len(read_partition(kafka_bootstrap, small_topic)) == 0


def _tasks() -> int:
    return len(os.listdir("/proc/self/task"))


def _connections_to(bootstrap_servers: str) -> int:
    """Established TCP connections from this process to the cluster's client ports (Linux /proc)."""
    ports = {int(address.rsplit(":", 1)[1]) for address in bootstrap_servers.split(",")}
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            established = fields[3] == "01"
            if established and fields[9] in inodes and int(fields[2].split(":")[1], 16) in ports:
                count += 1
    return count


def test_confluent_kafka_starts_threads_and_connects_on_its_own(example, kafka_topic, kafka_bootstrap):
    mod = example("01_confluent_kafka.py")
    tasks, connections = _tasks(), _connections_to(kafka_bootstrap)
    producer = mod.new_producer()
    assert _tasks() - tasks >= 2, "librdkafka's threads"
    wait_until(lambda: _connections_to(kafka_bootstrap) > connections, 5, "a connection before any send")
    mod.send_sync(producer, kafka_topic, b"first")
    opened = _connections_to(kafka_bootstrap)
    mod.send_sync(producer, kafka_topic, b"second")
    assert _connections_to(kafka_bootstrap) == opened, "the same connections, reused"
    assert producer.flush(10) == 0


def test_kafka_python_starts_its_sender_thread_and_connects_on_its_own(example, kafka_topic, kafka_bootstrap):
    mod = example("02_kafka_python.py")
    connections = _connections_to(kafka_bootstrap)
    producer = mod.new_producer()
    try:
        assert any(t.name.endswith("-network-thread") and t.is_alive() for t in threading.enumerate())
        wait_until(lambda: _connections_to(kafka_bootstrap) > connections, 5, "a connection before any send")
        mod.send_sync(producer, kafka_topic, b"first")
        opened = _connections_to(kafka_bootstrap)
        mod.send_sync(producer, kafka_topic, b"second")
        assert _connections_to(kafka_bootstrap) == opened, "the same connections, reused"
    finally:
        producer.close(timeout=10)


def test_confluent_kafka_sync_send_waits_out_linger(example, kafka_topic):
    """librdkafka's default linger.ms is 5: no synchronous send returns sooner (kafka-python's default is 0)."""
    mod = example("01_confluent_kafka.py")
    producer = mod.new_producer()
    mod.send_sync(producer, kafka_topic, b"warm-up")  # metadata and connection
    durations = []
    for i in range(10):
        started = time.perf_counter()
        mod.send_sync(producer, kafka_topic, f"sync-{i}".encode())
        durations.append(time.perf_counter() - started)
    assert min(durations) >= 0.005, durations
    assert max(durations) < 5, "poll() returned as soon as the report was there, not at the deadline"
    assert KafkaProducer.DEFAULT_CONFIG["linger_ms"] == 0


def test_event_wait_recipe_times_out_yet_the_record_is_written(example, kafka_topic):
    result = example("03_event_wait_pitfall.py").main(kafka_topic, timeout=3.0)

    assert result["timed_out"] is True  # poll(0) ran once, before the broker answered; nobody polled after
    assert result["remaining"] == 0
    assert result["records_in_topic"] == 1  # the caller was told "timed out", but the record is in the log


def test_event_wait_recipe_sending_again_after_the_timeout_writes_a_duplicate(example, kafka_topic, kafka_bootstrap):
    mod = example("03_event_wait_pitfall.py")
    producer = Producer({"bootstrap.servers": kafka_bootstrap, **SECURITY})
    with pytest.raises(TimeoutError):
        mod.send_and_wait_on_event(producer, kafka_topic, b"order-42 accepted", timeout=2.0)
    producer.produce(kafka_topic, b"order-42 accepted")  # the caller took the timeout for "not sent"
    assert producer.flush(10) == 0
    assert [m.value() for m in read_partition(kafka_bootstrap, kafka_topic)] == [b"order-42 accepted"] * 2


def test_event_wait_recipe_works_when_another_thread_polls(example, kafka_topic):
    mod = example("03_event_wait_pitfall.py")
    producer = mod.Producer({"bootstrap.servers": mod.BOOTSTRAP_SERVERS, **SECURITY})
    stop = threading.Event()

    def keep_polling():
        while not stop.is_set():
            producer.poll(0.1)

    poller = threading.Thread(target=keep_polling, daemon=True)
    poller.start()
    try:
        msg = mod.send_and_wait_on_event(producer, kafka_topic, b"served by the poller thread", timeout=10)
    finally:
        stop.set()
        poller.join(5)
    assert msg.error() is None
    assert (msg.partition(), msg.offset()) == (0, 0)
    assert producer.flush(10) == 0


def test_confluent_kafka_negative_poll_timeout_waits_for_an_event(kafka_topic, kafka_bootstrap):
    """Why send_sync never passes a negative timeout: poll(-0.5) is not "0.5 s ago", it blocks until an event."""
    producer = Producer({"bootstrap.servers": kafka_bootstrap, **SECURITY})
    poller = threading.Thread(target=producer.poll, args=(-0.5,), daemon=True)
    poller.start()
    poller.join(2.0)
    still_waiting = poller.is_alive()
    producer.produce(kafka_topic, b"wake up", on_delivery=lambda err, msg: None)  # its report ends the wait
    poller.join(15.0)
    assert still_waiting, "poll(-0.5) returned within 2 s"
    assert not poller.is_alive()
    assert producer.flush(10) == 0


def test_confluent_kafka_sync_send_never_polls_with_a_negative_timeout(example, kafka_topic, monkeypatch):
    """A clock that jumps past the deadline between the loop's check and its poll() (a slow machine)."""
    mod = example("01_confluent_kafka.py")
    timeouts, now = [], [0.0]

    class SlowPoll:
        def produce(self, *args, **kwargs):
            pass  # never delivered: only the deadline can end the wait

        def poll(self, timeout):
            timeouts.append(timeout)
            return 0

    def clock():
        now[0] += 0.6
        return now[0]

    monkeypatch.setattr(mod.time, "monotonic", clock)
    with pytest.raises(TimeoutError):
        mod.send_sync(SlowPoll(), kafka_topic, b"never sent", timeout=1.0)
    assert timeouts and all(t > 0 for t in timeouts), timeouts
