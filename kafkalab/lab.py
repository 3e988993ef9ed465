"""What the labs share: a timeline of a run's own events, a bounded wait, and a leader watcher.

A lab records what happens (produce, ack, pause, kill, election, consume) with wall-clock times as
it happens, then draws the timeline from those records: the picture is the run, not an illustration.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .cluster import Cluster

T = TypeVar("T")


@dataclass(frozen=True)
class Event:
    at: float  # time.time()
    lane: str  # who: "producer", "broker 2", "consumer", "controller", ...
    what: str
    detail: str = ""


@dataclass
class Timeline:
    """Events of one run, in the order they happened."""

    title: str = ""
    started: float = field(default_factory=time.time)
    events: list[Event] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, lane: str, what: str, detail: str = "", at: float | None = None) -> Event:
        event = Event(at if at is not None else time.time(), lane, what, detail)
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

    def plot(self, ax=None):
        """Draw the events on one row per lane (matplotlib); returns the Axes."""
        import matplotlib.pyplot as plt

        events = self.sorted()
        lanes = list(dict.fromkeys(e.lane for e in events))
        if ax is None:
            _, ax = plt.subplots(figsize=(11, 0.7 * len(lanes) + 1.6))
        nth_in_lane: dict[str, int] = {}
        for event in events:
            x, y = event.at - self.started, lanes.index(event.lane)
            k = nth_in_lane[event.lane] = nth_in_lane.get(event.lane, -1) + 1
            ax.plot([x], [y], marker="o", color=f"C{y}")
            # alternate above/below within a lane, so neighbouring labels in one row do not overlap
            ax.annotate(
                event.what, (x, y), xytext=(4, 8 if k % 2 == 0 else -14), textcoords="offset points", fontsize=8
            )
        ax.set_yticks(range(len(lanes)), lanes)
        ax.set_ylim(-0.8, len(lanes) - 0.2)
        ax.invert_yaxis()
        ax.set_xlabel("seconds since the start of the run")
        ax.grid(axis="x", alpha=0.3)
        if self.title:
            ax.set_title(self.title)
        return ax


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


class LeaderWatch:
    """Records every change of a partition's leader and ISR on the timeline, from a background thread."""

    def __init__(self, cluster: Cluster, topic: str, timeline: Timeline, partition: int = 0, every: float = 0.2):
        self.cluster, self.topic, self.partition = cluster, topic, partition
        self.timeline, self.every = timeline, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LeaderWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        last = None
        while not self._stop.is_set():
            try:  # one short question per poll: a poll that waited out a dead broker could miss a leaderless spell
                state = self.cluster.admin().partition(self.topic, self.partition, timeout=2.0)
            except Exception:
                state = None
            if state is not None and (state.leader, state.isr) != last:
                leader = "none" if state.leader is None else f"broker {state.leader}"
                self.timeline.record("controller", f"leader {leader}", f"ISR {state.isr}")
                last = (state.leader, state.isr)
            self._stop.wait(self.every)


def watermarks(bootstrap_servers: str, topic: str, partition: int = 0, timeout: float = 15.0) -> tuple[int, int]:
    """(low, high) watermark of a partition. Right after an election the new leader answers
    OFFSET_NOT_AVAILABLE until its high watermark has caught up (KIP-207): that is retried, bounded."""
    from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

    transient = {KafkaError.OFFSET_NOT_AVAILABLE, KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE}
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": f"{topic}-watermarks"})
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
) -> list:
    """Every record a consumer can read from one partition, from its start to its current end, as
    confluent-kafka Messages in offset order. `config` adds consumer settings (isolation.level...)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {"bootstrap.servers": bootstrap_servers, "group.id": f"{topic}-reader", "enable.auto.commit": False}
        | (config or {})
    )
    try:
        low, high = watermarks(bootstrap_servers, topic, partition, timeout)
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
    bootstrap_servers: str, topic: str, *, timeout: float = 30.0, config: dict[str, object] | None = None
) -> list:
    """read_partition for every partition of the topic, partition by partition."""
    from .admin import Admin

    partitions = sorted(Admin(bootstrap_servers).metadata(topic).topics[topic].partitions)
    return [m for p in partitions for m in read_partition(bootstrap_servers, topic, p, timeout=timeout, config=config)]
