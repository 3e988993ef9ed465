"""What the labs share: a timeline of a run's own events, a bounded wait, and a leader watcher.

A lab records what happens (produce, ack, pause, kill, election, consume) with wall-clock times as
it happens, then draws the timeline from those records: the picture is the run, not an illustration.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from .cluster import Cluster
from .connection import client_settings
from .watch import PartitionWatch

if TYPE_CHECKING:
    from .picture import Picture

T = TypeVar("T")


@dataclass(frozen=True)
class Event:
    at: float  # time.time()
    lane: str  # who: "producer", "broker 2", "consumer", "controller", ...
    what: str
    detail: str = ""
    to: str | None = None  # the lane a message goes to: drawn as an arrow (kafkalab.picture)
    state: str | None = None  # the lane's state from this event on: "up", "paused" or "down"


@dataclass
class Timeline:
    """Events of one run, in the order they happened."""

    title: str = ""
    started: float = field(default_factory=time.time)
    events: list[Event] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(
        self,
        lane: str,
        what: str,
        detail: str = "",
        at: float | None = None,
        *,
        to: str | None = None,
        state: str | None = None,
    ) -> Event:
        """Record that `lane` did `what`. `to`: the lane it sent a message to (an arrow in the picture);
        `state`: the lane is "paused", "down" or "up" from now on (its lifeline in the picture)."""
        event = Event(at if at is not None else time.time(), lane, what, detail, to, state)
        with self._lock:
            self.events.append(event)
        return event

    def sorted(self) -> list[Event]:
        with self._lock:
            return sorted(self.events, key=lambda e: e.at)

    def text(self) -> str:
        """The events as a table: seconds since the start, lane, what, detail."""
        rows = [f"{e.at - self.started:7.2f}s  {e.lane:<12} {e.what:<28} {e.detail}" for e in self.sorted()]
        return "\n".join(rows)

    def picture(self, *, lanes: Sequence[str] | None = None, title: str | None = None) -> Picture:
        """The run as a sequence diagram (SVG; Jupyter and the lab pages show it): one lifeline per lane,
        one row per event, time flowing down. `lanes` fixes the order of the participants."""
        from .picture import sequence

        return sequence(self.sorted(), lanes=lanes, title=self.title if title is None else title, started=self.started)


def wait_until(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll until predicate() is truthy and return its value; fail with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout}s: {what}")
        time.sleep(interval)


class LeaderWatch(PartitionWatch):
    """One partition's leader and ISR on the timeline, in the lane "controller": every change the
    controller made while the watch ran (a context manager; see kafkalab.watch.PartitionWatch)."""

    def __init__(self, cluster: Cluster, topic: str, timeline: Timeline, partition: int = 0, every: float = 0.2):
        super().__init__(cluster, timeline, {"controller": (topic, partition)}, every=every)
        self.topic, self.partition = topic, partition


def watermarks(
    bootstrap_servers: str,
    topic: str,
    partition: int = 0,
    timeout: float = 15.0,
    client_config: dict[str, str] | None = None,
) -> tuple[int, int]:
    """(low, high) watermark of a partition. Right after an election the new leader answers
    OFFSET_NOT_AVAILABLE until its high watermark has caught up (KIP-207): that is retried, bounded.
    `client_config`: the cluster's security settings (None: those of $KAFKA_CLIENT_CONFIG)."""
    from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

    transient = {KafkaError.OFFSET_NOT_AVAILABLE, KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE}
    security = client_settings("confluent-kafka") if client_config is None else client_config
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": f"{topic}-watermarks", **security})
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=5)
            except KafkaException as e:
                if e.args[0].code() not in transient or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        consumer.close()


def read_partition(
    bootstrap_servers: str,
    topic: str,
    partition: int = 0,
    *,
    timeout: float = 10.0,
    config: dict[str, object] | None = None,
    client_config: dict[str, str] | None = None,
) -> list:
    """Every record a consumer can read from one partition, from its start to its current end, as
    confluent-kafka Messages in offset order. `config` adds consumer settings (isolation.level...);
    `client_config` as for watermarks."""
    from confluent_kafka import Consumer, TopicPartition

    security = client_settings("confluent-kafka") if client_config is None else client_config
    consumer = Consumer(
        {"bootstrap.servers": bootstrap_servers, "group.id": f"{topic}-reader", "enable.auto.commit": False}
        | security
        | (config or {})
    )
    try:
        low, high = watermarks(bootstrap_servers, topic, partition, timeout, security)
        if high <= low:  # nothing to read: the position of an unfetched partition is unknown (-1001)
            return []
        tp = TopicPartition(topic, partition, low)
        consumer.assign([tp])
        records, deadline = [], time.monotonic() + timeout
        # The consumer's position, not the last record's offset + 1: transaction markers and aborted
        # records take offsets that no message is returned for.
        while consumer.position([tp])[0].offset < high and time.monotonic() < deadline:
            records += [msg for msg in consumer.consume(500, timeout=0.5) if msg.error() is None]
        return records
    finally:
        consumer.close()


def read_topic(
    bootstrap_servers: str,
    topic: str,
    *,
    timeout: float = 30.0,
    config: dict[str, object] | None = None,
    client_config: dict[str, str] | None = None,
) -> list:
    """read_partition for every partition of the topic, partition by partition."""
    from .admin import Admin

    partitions = sorted(Admin(bootstrap_servers, client_config).metadata(topic).topics[topic].partitions)
    return [
        m
        for p in partitions
        for m in read_partition(
            bootstrap_servers, topic, p, timeout=timeout, config=config, client_config=client_config
        )
    ]


def read_with(consumer: Any, topic: str, count: int, timeout: float = 30.0) -> list:
    """Subscribe `consumer` (a Consumer or DeserializingConsumer made by the caller) to `topic`, take up to
    `count` records as `poll_more` does, and close it."""
    consumer.subscribe([topic])
    try:
        return poll_more(consumer, count, timeout)
    finally:
        consumer.close()


def poll_more(consumer: Any, count: int, timeout: float = 30.0) -> list:
    """Up to `count` more records from a subscribed consumer, which stays open, waiting at most `timeout`
    seconds. A record the deserializer could not decode is kept as the exception poll() raised for it
    (ValueDeserializationError and its kind), so a reader sees where decoding failed."""
    got: list = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        try:
            msg = consumer.poll(0.5)
        except Exception as exc:
            got.append(exc)
            continue
        if msg is not None and msg.error() is None:
            got.append(msg)
    return got
