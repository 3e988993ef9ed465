"""The whole chain under fire: keyed records produced while leaders are killed and paused at random,
then everything read back and checked (lost, duplicated, reordered per key).

Two fault kinds, one at a time, each on the current leader of a random partition:
- crash: the leader's followers freeze for a second (so they lag, as under load), the leader is
  SIGKILLed, the followers resume and a clean election follows; the broker restarts with its data.
- pause: the leader freezes (SIGSTOP) past the session timeout, is fenced and replaced, then resumes.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from confluent_kafka import Message, Producer

from .admin import new_topic
from .checker import Record, Report, check
from .cluster import Cluster
from .lab import Timeline, read_topic
from .logdump import Batch, stored_batches
from .recorders import ClientLog


@dataclass(frozen=True)
class Profile:
    name: str
    producer: dict[str, object]
    topic: dict[str, str]
    consumer: dict[str, object] = field(default_factory=dict)


# The reference's maximum-reliability chain, every setting explicit.
STRONG = Profile(
    "strong",
    producer={
        "acks": "all",
        "enable.idempotence": True,
        "max.in.flight.requests.per.connection": 5,
        "retries": 2147483647,
        "delivery.timeout.ms": 300000,
        "linger.ms": 5,
        "compression.type": "lz4",
    },
    topic={"min.insync.replicas": "2", "unclean.leader.election.enable": "false"},
    consumer={"isolation.level": "read_committed", "enable.auto.commit": False},
)
# What the chain looks like with its links removed.
WEAK = Profile(
    "weak",
    producer={"acks": "1", "enable.idempotence": False, "linger.ms": 5, "delivery.timeout.ms": 300000},
    topic={"min.insync.replicas": "1", "unclean.leader.election.enable": "true"},
    consumer={"isolation.level": "read_uncommitted", "enable.auto.commit": False},
)
PROFILES = {p.name: p for p in (STRONG, WEAK)}
FAULT_SECONDS = 7.0  # a fault and the healing after it, on two cores: paces the producer
PAUSE_SECONDS = 4.5  # past broker.session.timeout.ms (4 s): the paused leader is fenced


@dataclass
class SoakResult:
    profile: str
    topic: str
    report: Report
    faults: list[str]
    seconds: float
    timeline: Timeline
    copies: dict[Record, list[Batch]] = field(default_factory=dict)  # each duplicated record: its copies' batches
    client_log: list[str] = field(default_factory=list)  # what librdkafka logged during the run

    @property
    def epoch_bump_duplicates(self) -> list[Record]:
        """Duplicates the broker could not have caught: each copy written by the same producer under
        a different producer epoch, whose sequence numbers start again (see the idempotence page)."""
        return [r for r, batches in self.copies.items() if _across_epochs(batches)]

    @property
    def unexplained_duplicates(self) -> list[Record]:
        """Duplicates within one producer epoch: what idempotence promises never to write."""
        explained = set(self.epoch_bump_duplicates)
        return [r for r in self.report.duplicated if r not in explained]


def _across_epochs(batches: list[Batch]) -> bool:
    epochs = [b.producer_epoch for b in batches]
    one_producer = len({b.producer_id for b in batches}) == 1 and batches[0].producer_id >= 0
    return one_producer and len(set(epochs)) == len(epochs)


def run(
    cluster: Cluster,
    profile: Profile = STRONG,
    records: int = 20000,
    faults: int = 10,
    partitions: int = 3,
    keys: int = 60,
    fault_every: float = 1.0,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> SoakResult:
    """Produce `records` keyed records spread over the expected fault window while injecting `faults`
    faults (one at a time, `fault_every` seconds apart), heal the cluster, read everything back and
    check it."""
    rng = random.Random(seed)
    timeline = Timeline(f"{profile.name} profile under fire")
    started = time.monotonic()
    security = cluster.client_config()
    topic = new_topic(
        cluster.bootstrap_servers, f"soak-{profile.name}", partitions, 3, profile.topic, client_config=security
    )
    acked: list[Record] = []
    client_log = ClientLog()  # librdkafka's lines, kept (off stderr) for the result
    producer = Producer(
        {
            "bootstrap.servers": cluster.bootstrap_servers,
            **security,
            "logger": client_log.logger(),
            "debug": "eos",  # librdkafka says why it bumps its producer epoch only at debug level
            **profile.producer,
        }
    )

    def on_delivery(err, msg):
        if err is None:
            acked.append(_parse(msg.value()))

    injected: list[str] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def inject() -> None:
        try:
            _inject(cluster, topic, partitions, faults, fault_every, rng, timeline, injected, stop)
        except BaseException as e:  # surfaced in the main thread below
            failures.append(e)

    injector = threading.Thread(target=inject)
    injector.start()
    rate = records / max(1.0, faults * (fault_every + FAULT_SECONDS))
    try:
        for i in range(records):
            key, seq = f"k{i % keys}", i // keys
            _produce(producer, topic, key.encode(), f"{key}:{seq}".encode(), on_delivery)
            if progress and i % 1000 == 999:
                progress(1000)
            lag = i / rate - (time.monotonic() - started)
            if lag > 0:
                producer.poll(lag)
        timeline.record("producer", f"all {records} produced")
        injector.join()
        if failures:
            raise failures[0]
        timeline.record("faults", f"{len(injected)} faults injected")
        remaining = producer.flush(180)
        timeline.record("producer", "flushed", f"{remaining} never acknowledged")
    finally:
        stop.set()
        injector.join(timeout=120)
        cluster.wait_healthy(timeout=120)
    messages = read_back(cluster, topic, profile.consumer)
    timeline.record("consumer", "read back", f"{len(messages)} records")
    report = check(acked, [_parse(m.value()) for m in messages])
    copies = _copies(cluster, topic, set(report.duplicated), messages) if report.duplicated else {}
    seconds = time.monotonic() - started
    return SoakResult(profile.name, topic, report, injected, seconds, timeline, copies, client_log.lines)


def _copies(
    cluster: Cluster, topic: str, duplicated: set[Record], messages: list[Message]
) -> dict[Record, list[Batch]]:
    """For each duplicated record, the stored batch (producer id, epoch, sequence) of every copy."""
    where: dict[Record, list[tuple[int, int]]] = defaultdict(list)
    for m in messages:
        if (record := _parse(m.value())) in duplicated:
            where[record].append((m.partition(), m.offset()))
    batches = {p: stored_batches(cluster, topic, p) for p in {p for spots in where.values() for p, _ in spots}}
    return {r: [next(b for b in batches[p] if b.holds(o)) for p, o in spots] for r, spots in where.items()}


def _produce(producer: Producer, topic: str, key: bytes, value: bytes, on_delivery) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            producer.produce(topic, value, key=key, on_delivery=on_delivery)
            producer.poll(0)
            return
        except BufferError:  # the local queue is full: serve reports to make room, lose nothing
            if time.monotonic() > deadline:
                raise
            producer.poll(0.1)


def _inject(cluster, topic, partitions, faults, every, rng, timeline, injected, stop) -> None:
    for n in range(faults):
        if stop.wait(every if n else every / 2):
            return
        partition = rng.randrange(partitions)
        state = cluster.partition(topic, partition)
        if state.leader is None:
            continue
        leader, followers = state.leader, [r for r in state.replicas if r != state.leader]
        if rng.random() < 0.5:
            for f in followers:
                cluster.pause(f)
            time.sleep(1.0)
            cluster.kill(leader)
            timeline.record(f"broker {leader}", f"crash (p{partition} leader)", state="down")
            for f in followers:
                cluster.resume(f)
            cluster.start(leader, timeout=90)
            timeline.record(f"broker {leader}", "restarted", state="up")
            injected.append(f"crash broker {leader}")
        else:
            cluster.pause(leader)
            timeline.record(f"broker {leader}", f"pause (p{partition} leader)", state="paused")
            time.sleep(PAUSE_SECONDS)
            cluster.resume(leader)
            timeline.record(f"broker {leader}", "resumed", state="up")
            injected.append(f"pause broker {leader}")
        cluster.wait_healthy(timeout=90, restore=False)


def read_back(cluster: Cluster, topic: str, config: dict[str, object]) -> list[Message]:
    """Every record of the topic, partition by partition, in offset order."""
    return read_topic(
        cluster.bootstrap_servers, topic, timeout=60, config=config, client_config=cluster.client_config()
    )


def _parse(value: bytes) -> Record:
    key, seq = value.decode().split(":")
    return key, int(seq)
