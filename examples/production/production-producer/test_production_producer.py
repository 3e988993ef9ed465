"""Your production producer, both Python clients: every record is read back once and in order per key; a
partition leader killed mid-stream costs no record and no report is an error; a shutdown while the brokers
are out of reach returns within its bound and reports every record it could not deliver."""

import importlib.util
import os
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import kafka.errors as Errors
import pytest
from confluent_kafka import KafkaError
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
from kafka import KafkaProducer

from kafkalab import Cluster, client_settings, new_topic, soak
from kafkalab.checker import check
from kafkalab.lab import read_topic, wait_until
from kafkalab.logdump import stored_batches

SECURITY = client_settings("confluent-kafka")

CLIENTS = ["01_confluent_kafka.py", "02_kafka_python.py"]
KEYS = 30


def parse(value: bytes) -> tuple[str, int]:
    key, seq = value.decode().rsplit(":", 1)
    return key, int(seq)


def record(i: int, keys: int = KEYS) -> tuple[bytes, bytes]:
    key = f"k{i % keys}"
    return key.encode(), f"{key}:{i // keys}".encode()


@pytest.mark.usefixtures("kafka_three_brokers")  # replication factor 3
@pytest.mark.parametrize("client", CLIENTS)
def test_every_record_is_read_back_once_and_in_order(example, client):
    result = example(client).main(records=1000, keys=10)

    outcome = result["outcome"]
    assert (outcome.delivered, outcome.failed) == (1000, [])
    assert getattr(outcome, "unaccounted", 0) == 0
    messages = result["read_back"]
    sent = [(f"customer-{i % 10}", i // 10) for i in range(1000)]
    report = check(sent, [parse(m.value()) for m in messages])
    assert report.ok and report.consumed == 1000, report.summary()
    partitions = defaultdict(set)
    for m in messages:
        partitions[m.key()].add(m.partition())
    assert all(len(p) == 1 for p in partitions.values()), "each key on one partition"


def _tuning_profiles(filename: str) -> dict:
    """The tuning page's profiles, read from its example file (not retyped here)."""
    path = Path(__file__).parents[1] / "tuning" / filename
    spec = importlib.util.spec_from_file_location(f"tuning_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PROFILES


@pytest.mark.parametrize(
    ("client", "tuning"),
    [
        ("01_confluent_kafka.py", "01_profiles_confluent_kafka.py"),
        ("02_kafka_python.py", "02_profiles_kafka_python.py"),
    ],
)
def test_the_settings_are_the_maximum_reliability_profile(example, client, tuning):
    settings = example(client).SETTINGS
    assert settings == _tuning_profiles(tuning)["max-reliability"]
    if client == "01_confluent_kafka.py":
        assert settings == soak.STRONG.producer, "lab 8 soaks the same settings"


def test_confluent_kafka_verdicts_are_by_code(example):
    mod = example("01_confluent_kafka.py")
    for code in (KafkaError._MSG_TIMED_OUT, KafkaError.NOT_ENOUGH_REPLICAS, KafkaError._PURGE_QUEUE):
        assert mod.classify(KafkaError(code)) is mod.Verdict.RETRY_LATER
    assert mod.classify(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE)) is mod.Verdict.DEAD_LETTER
    for code in (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._FATAL):
        assert mod.classify(KafkaError(code)) is mod.Verdict.STOP


def test_kafka_python_verdicts_are_by_type(example):
    mod = example("02_kafka_python.py")
    for error in (Errors.KafkaTimeoutError(), Errors.NotEnoughReplicasError(), mod.Unanswered()):
        assert mod.classify(error) is mod.Verdict.RETRY_LATER
    assert mod.classify(Errors.MessageSizeTooLargeError()) is mod.Verdict.DEAD_LETTER
    for error in (Errors.TopicAuthorizationFailedError(), Errors.IllegalStateError(), ValueError()):
        assert mod.classify(error) is mod.Verdict.STOP


def test_confluent_kafka_a_record_the_broker_refuses_is_a_dead_letter(example, kafka_bootstrap):
    mod = example("01_confluent_kafka.py")
    topic = new_topic(kafka_bootstrap, "pp-too-large", config={"max.message.bytes": "2000"})
    producer = mod.ProductionProducer(kafka_bootstrap)
    value = os.urandom(5000)  # incompressible: lz4 would shrink 5000 equal bytes below the limit
    producer.send(topic, b"k", value)
    outcome = producer.close(timeout=30)
    [failure] = outcome.failed
    assert failure.error.code() == KafkaError.MSG_SIZE_TOO_LARGE
    assert failure.verdict is mod.Verdict.DEAD_LETTER
    assert (failure.key, failure.value) == (b"k", value), "the report carries the record to park"


def test_confluent_kafka_a_record_over_the_producers_limit_is_accounted_not_raised(example, kafka_bootstrap):
    mod = example("01_confluent_kafka.py")
    topic = new_topic(kafka_bootstrap, "pp-over-limit")
    producer = mod.ProductionProducer(kafka_bootstrap, **{"message.max.bytes": 2000})
    producer.send(topic, b"k", os.urandom(5000))  # produce() raises KafkaException: send() files it
    producer.send(topic, b"k", b"small")
    outcome = producer.close(timeout=30)
    assert outcome.delivered == 1
    [failure] = outcome.failed
    assert failure.error.code() == KafkaError.MSG_SIZE_TOO_LARGE
    assert failure.verdict is mod.Verdict.DEAD_LETTER


def test_confluent_kafka_an_unplanned_error_stops_the_producer(example, kafka_bootstrap):
    mod = example("01_confluent_kafka.py")
    missing = f"no-such-topic-{time.monotonic_ns()}"  # auto-creation is off on the lab cluster
    producer = mod.ProductionProducer(kafka_bootstrap, **{"topic.metadata.propagation.max.ms": 1000})
    try:
        producer.send(missing, b"k", b"v")
        wait_until(lambda: producer.stopped_by is not None, 30, "the missing topic's report")
        assert producer.stopped_by.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
        with pytest.raises(RuntimeError, match="producer stopped after UNKNOWN_TOPIC_OR_PART"):
            producer.send(missing, b"k", b"v2")
    finally:
        outcome = producer.close(timeout=10)
    assert [f.verdict for f in outcome.failed] == [mod.Verdict.STOP]


def test_kafka_python_a_record_over_max_request_size_is_a_dead_letter(example, kafka_bootstrap):
    mod = example("02_kafka_python.py")
    topic = new_topic(kafka_bootstrap, "pp-too-large")
    producer = mod.ProductionProducer(kafka_bootstrap, max_request_size=2000)
    producer.send(topic, b"k", b"x" * 5000)  # raises inside: accounted, not thrown
    producer.send(topic, b"k", b"small")
    outcome = producer.close(timeout=30)
    assert outcome.delivered == 1
    [failure] = outcome.failed
    assert isinstance(failure.error, Errors.MessageSizeTooLargeError)
    assert failure.verdict is mod.Verdict.DEAD_LETTER


def test_kafka_python_default_max_request_size_is_under_the_default_topic_limit(kafka_topic, kafka_bootstrap):
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap, **SECURITY})
    resource = ConfigResource(ResourceType.TOPIC, kafka_topic)
    topic_limit = int(admin.describe_configs([resource])[resource].result(timeout=30)["max.message.bytes"].value)
    assert KafkaProducer.DEFAULT_CONFIG["max_request_size"] == 1048576 < topic_limit == 1048588


def test_kafka_python_a_missing_topic_looks_like_an_outage(example, kafka_bootstrap):
    mod = example("02_kafka_python.py")
    assert KafkaProducer.DEFAULT_CONFIG["max_block_ms"] == 60000  # 2 s here
    producer = mod.ProductionProducer(kafka_bootstrap, max_block_ms=2000)
    started = time.monotonic()
    producer.send(f"no-such-topic-{time.monotonic_ns()}", b"k", b"v")  # blocks max_block_ms for metadata
    assert 1.5 < time.monotonic() - started < 10
    outcome = producer.close(timeout=10)
    [failure] = outcome.failed
    assert isinstance(failure.error, Errors.KafkaTimeoutError)
    assert failure.verdict is mod.Verdict.RETRY_LATER


# -- faults ---------------------------------------------------------------------------------------------


def copies_across_epochs(cluster: Cluster, topic: str, messages: list, duplicated: set) -> bool:
    """Each duplicated record's copies were written by one producer under different producer epochs: the
    librdkafka epoch-bump duplicate (issue #4953) that idempotence cannot catch."""
    spots = defaultdict(list)
    for m in messages:
        if parse(m.value()) in duplicated:
            spots[parse(m.value())].append((m.partition(), m.offset()))
    batches = {p: stored_batches(cluster, topic, p) for p in {p for s in spots.values() for p, _ in s}}
    for copies in spots.values():
        found = [next(b for b in batches[p] if b.holds(o)) for p, o in copies]
        epochs = [b.producer_epoch for b in found]
        if len({b.producer_id for b in found}) != 1 or len(set(epochs)) != len(epochs):
            return False
    return True


@pytest.mark.faults
@pytest.mark.timeout(300)
@pytest.mark.parametrize("client", CLIENTS)
def test_a_leader_killed_mid_stream_loses_and_duplicates_nothing(example, kafka_cluster, client):
    mod = example(client)
    records = 3000
    topic = new_topic(kafka_cluster.bootstrap_servers, "pp-leader-kill", 3, 3, mod.TOPIC_CONFIG)
    producer = mod.ProductionProducer(kafka_cluster.bootstrap_servers)
    kill_at, killed = records // 3, None
    try:
        for i in range(records):
            producer.send(topic, *record(i))
            if i == kill_at - 200:
                leader = kafka_cluster.leader(topic, 0)
            elif i == kill_at:  # right after a burst of 200 records, so that some are still unanswered
                delivered_before_kill = producer.delivered
                kafka_cluster.kill(leader)
                killed = leader
            if not kill_at - 200 <= i < kill_at:
                time.sleep(0.002)  # about 6 s of sending: the kill and the election happen in the middle
        outcome = producer.close(timeout=120)
        leader_after = kafka_cluster.leader(topic, 0)
    finally:
        if killed is not None:
            kafka_cluster.start(killed)
        kafka_cluster.wait_healthy(timeout=120)

    assert 0 < delivered_before_kill <= kill_at, "the leader died with records still unanswered"
    assert leader_after not in (None, killed), "partition 0 failed over to another replica"
    assert (outcome.delivered, outcome.failed) == (records, []), "every delivery report is a success"
    messages = read_topic(kafka_cluster.bootstrap_servers, topic, timeout=60)
    report = check([parse(record(i)[1]) for i in range(records)], [parse(m.value()) for m in messages])
    print(f"{client}: killed broker {killed} with {kill_at + 1 - delivered_before_kill} unanswered; {report.summary()}")
    assert (report.lost, report.reordered) == ([], []), report.summary()
    if client == "01_confluent_kafka.py":  # idempotence: no duplicate within one producer epoch
        assert copies_across_epochs(kafka_cluster, topic, messages, set(report.duplicated)), report.summary()
    else:
        assert report.duplicated == [], report.summary()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("client", CLIENTS)
def test_a_shutdown_with_the_brokers_out_of_reach_is_bounded_and_reports_every_record(example, kafka_cluster, client):
    mod = example(client)
    records, bound = 2000, 3.0
    topic = new_topic(kafka_cluster.bootstrap_servers, "pp-shutdown", 3, 3, mod.TOPIC_CONFIG)
    cut = threading.Event()

    def on_event(event) -> None:  # a Produce request was written, its answer swallowed: now cut everything
        if event.what == "response-dropped" and not cut.is_set():
            cut.set()
            proxies.stop()  # every connection reset, no new one accepted: the brokers are out of reach

    with kafka_cluster.proxies(on_event) as proxies:  # the producer reaches the brokers only through these
        producer = mod.ProductionProducer(proxies.bootstrap_servers)
        try:
            for i in range(500):
                producer.send(topic, *record(i))
            wait_until(lambda: producer.delivered >= 200, 30, "the first records delivered")
            proxies.drop_produce_responses(kafka_cluster.leader(topic, 0))
            for i in range(500, records):
                producer.send(topic, *record(i))
            wait_until(cut.is_set, 30, "a Produce request written and its answer lost")
            outcome = producer.close(timeout=bound)
            if client == "02_kafka_python.py":
                sender = producer._producer._sender
                assert sender.is_alive() and sender.daemon, "its sender thread still runs, as a daemon"
                with pytest.raises(Errors.KafkaTimeoutError):
                    producer._producer.close(timeout=0.5)  # close() flushes first, and raises instead of closing
        finally:
            if client == "02_kafka_python.py":  # the test's own cleanup: kafka-python has no public force-close
                producer._producer._sender.force_close()

    assert outcome.seconds < bound + 2, "close() returned within its bound"
    assert outcome.delivered + len(outcome.failed) == records, "every record delivered or reported failed"
    assert {f.verdict for f in outcome.failed} == {mod.Verdict.RETRY_LATER}
    stored = [m.value() for m in read_topic(kafka_cluster.bootstrap_servers, topic)]
    failed = {f.value for f in outcome.failed}
    delivered = {record(i)[1] for i in range(records)} - failed
    assert len(delivered) == outcome.delivered >= 200 and delivered <= set(stored), "reported delivered: stored"
    assert len(stored) == len(set(stored)), "no record stored twice"
    written_but_failed = failed & set(stored)
    assert written_but_failed, "the records of the request whose answer was lost are stored, yet reported failed"
    if client == "01_confluent_kafka.py":
        assert outcome.unaccounted == 0
        assert {f.error.name() for f in outcome.failed} <= {"_PURGE_QUEUE", "_PURGE_INFLIGHT"}
        stored_as = Counter(f.error.name() for f in outcome.failed if f.value in written_but_failed)
    else:
        assert outcome.closed is False, "kafka-python's close() gave up with records still waiting"
        assert all(isinstance(f.error, mod.Unanswered) for f in outcome.failed)
        stored_as = Counter(type(f.error).__name__ for f in outcome.failed if f.value in written_but_failed)
    print(f"{client}: {len(failed)} reported failed, {len(written_but_failed)} of them stored: {dict(stored_as)}")
