"""A leader and ISR watch over several partitions during a fault, that cannot miss a leaderless state.

Two views, for two purposes:

- **The record** (on the timeline, when the watch ends): every change the controller made to the
  watched partitions, at the time it made it, replayed from its metadata log
  (:mod:`kafkalab.controller`). Nothing is sampled, so no state is missed, however short.
- **The live view** (:meth:`PartitionWatch.now`, :meth:`PartitionWatch.wait_for`): a metadata
  question every `every` seconds, for a lab that waits for a state. A broker's answer comes from its
  metadata cache, so the watch reads it with care (:class:`Views`): an answer with no leader, leader
  -1 or an error is leaderless; so is an answer naming a leader whose process is dead; answers from a
  broker that was resumed or (re)started less than `settle` seconds ago are not trusted (it may
  still hold the cache it had before the freeze); paused brokers are not asked.

If the metadata log cannot be read, the record falls back to the changes the live view saw.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from confluent_kafka.admin import AdminClient

from . import controller
from .admin import _quiet  # librdkafka's connection noise (stopped brokers) goes nowhere
from .cluster import Cluster
from .errors import KafkalabError

if TYPE_CHECKING:
    from .lab import Timeline

Key = tuple[str, int]  # (topic, partition)


@dataclass(frozen=True)
class View:
    """A partition as the live view last saw it."""

    leader: int | None
    isr: list[int]
    why: str = ""  # why it is leaderless: the broker's error, "no leader", or "broker N is down"
    inferred: bool = False  # leaderless because the leader's process is dead, though the answers still name it

    def __str__(self) -> str:
        leader = "none" if self.leader is None else f"broker {self.leader}"
        return f"leader {leader}, ISR {self.isr}" + (f" ({self.why})" if self.why else "")


@dataclass(frozen=True)
class Answer:
    """One metadata answer, reduced to what the watch reads: who answered, and each partition's
    leader, ISR and error name (None if it had none); a partition missing from `partitions` was not
    listed (its topic unknown to the broker, or the topic's own error)."""

    broker: int
    partitions: dict[Key, tuple[int, list[int], str | None]]

    @classmethod
    def of(cls, metadata, ports: Mapping[int, int]) -> Answer:
        """From confluent-kafka's ClusterMetadata; `ports` maps a client port to its broker, for an
        answer that came through a bootstrap connection (which names only its address)."""
        broker = metadata.orig_broker_id
        if broker < 0:  # "127.0.0.1:9092/bootstrap"
            port = metadata.orig_broker_name.rsplit("/", 1)[0].rsplit(":", 1)[-1]
            broker = ports.get(int(port), -1) if port.isdigit() else -1
        parts = {}
        for name, topic in metadata.topics.items():
            for p in topic.partitions.values():
                error = p.error or topic.error
                parts[(name, p.id)] = (p.leader, list(p.isrs), error.name() if error else None)
        return cls(broker, parts)


# A partition error that still comes with a working leader: a follower is offline.
_LEADER_FINE = (None, "REPLICA_NOT_AVAILABLE")


class Views:
    """The live view's rules, without threads or brokers: feed it what each poll saw (`observe`)."""

    def __init__(self, keys: list[Key], settle: float = 2.0) -> None:
        self.keys, self.settle = keys, settle
        self.views: dict[Key, View] = {}
        self.changes: list[tuple[float, Key, View]] = []
        self._states: dict[int, tuple[str, int | None]] = {}
        self._since: dict[int, float] = {}  # when each broker last became running

    def trusted(self, at: float) -> set[int]:
        """Running brokers whose answers are trusted: running for `settle` seconds or more."""
        running = (b for b, (state, _) in self._states.items() if state == "running")
        return {b for b in running if at - self._since[b] >= self.settle}

    def observe(self, at: float, nodes: Mapping[int, tuple[str, int | None]], answer: Answer | None) -> None:
        """One poll: each broker's process (state, pid) and the answer to the question (None: none came)."""
        for broker, (state, pid) in nodes.items():
            before = self._states.get(broker)
            if before is None:
                self._since[broker] = at - self.settle  # running when the watch began: trusted at once
            elif state == "running" and (before[0] != "running" or before[1] != pid):
                self._since[broker] = at  # resumed, or restarted
            self._states[broker] = (state, pid)
        dead = {b for b, (state, _) in self._states.items() if state == "dead"}
        if answer is not None and answer.broker not in self.trusted(at):
            answer = None  # a broker that may answer from the cache it had before a freeze or a restart
        for key in self.keys:
            view = self.views.get(key)
            if answer is not None:
                leader, isr, error = answer.partitions.get(key, (-1, [], "not in the answer"))
                if leader < 0 or error not in _LEADER_FINE:
                    view = View(None, isr, error or "no leader")
                else:
                    view = View(leader, isr)
            if view is not None and view.leader in dead:
                view = View(None, view.isr, f"broker {view.leader} is down", inferred=True)
            if view is not None and view != self.views.get(key):
                self.views[key] = view
                self.changes.append((at, key, view))


class PartitionWatch:
    """Watch leader and ISR of some partitions from a background thread, from `start()` to `stop()`
    (or as a context manager); at the stop, put every change the controller made to them in that
    time on the timeline.

    `partitions` names each watched partition: name -> a topic (partition 0) or (topic, partition).
    Each change is an event "leader broker N" / "leader none" with the ISR and ELR as its detail, in
    the lane called by the partition's name, or with `lane`, all in that lane, each labelled with its
    name ("b: leader broker 1"). With `fences`, the controller's fencing and unfencing of brokers go
    in the lane it names ("fences broker 3")."""

    def __init__(
        self,
        cluster: Cluster,
        timeline: Timeline | None,
        partitions: Mapping[str, str | Key],
        lane: str | None = None,
        every: float = 0.2,
        settle: float = 2.0,
        fences: str | None = None,
    ) -> None:
        self.cluster, self.timeline, self.lane, self.every, self.fences = cluster, timeline, lane, every, fences
        self.partitions = {name: (p, 0) if isinstance(p, str) else (p[0], p[1]) for name, p in partitions.items()}
        self.views = Views(list(dict.fromkeys(self.partitions.values())), settle)
        self.history: controller.History | None = None
        self.started = self.ended = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._clients: dict[str, AdminClient] = {}

    def start(self) -> PartitionWatch:
        self.started = time.time()
        self._poll()  # the state the run starts from, before the first fault
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling, read the controller's record and put it on the timeline (once)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=10)
        self.ended = time.time()
        self._clients.clear()
        try:
            self.history = _read_history(self.cluster)
        except KafkalabError as e:  # the controller's log unreadable: what the live view saw is all there is
            self.history = None
            if self.timeline is not None:
                self.timeline.record(self._lane(next(iter(self.partitions))), "controller log unreadable", str(e)[:200])
        if self.timeline is not None:
            self._record(self.timeline)

    def __enter__(self) -> PartitionWatch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def now(self, topic: str, partition: int = 0) -> View | None:
        """The partition as the live view last saw it (None: no trusted answer yet)."""
        with self._lock:
            return self.views.views.get((topic, partition))

    def wait_for(
        self, topic: str, condition: Callable[[View], object], timeout: float, what: str, partition: int = 0
    ) -> View:
        """Wait until the live view of the partition meets `condition`; fail with `what` after `timeout` s."""
        deadline = time.monotonic() + timeout
        while (view := self.now(topic, partition)) is None or not condition(view):
            if time.monotonic() > deadline:
                raise TimeoutError(f"not within {timeout}s: {what} (last seen: {view})")
            time.sleep(self.every / 2)
        return view

    def changes(self, topic: str, partition: int = 0) -> list[controller.Change]:
        """The controller's changes to the partition while the watch ran (after it has ended)."""
        if self.history is None:
            return []
        return [c for c in self.history.of(topic, partition) if self.started <= c.at <= self.ended]

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._poll()

    def _poll(self) -> None:
        at = time.time()
        nodes = {n.spec.node_id: (n.state(), n.pid) for n in self.cluster.brokers}
        with self._lock:
            self.views.observe(at, nodes, None)  # who is trusted now, and whose leader died
            ask = sorted(self.views.trusted(at) & {b for b, (s, _) in nodes.items() if s == "running"})
        answer = self._ask(ask) if ask else None
        if answer is not None:
            with self._lock:
                self.views.observe(time.time(), nodes, answer)

    def _ask(self, brokers: list[int]) -> Answer | None:
        where = ",".join(f"127.0.0.1:{self.cluster.node(b).spec.client_port}" for b in brokers)
        client = self._clients.get(where)
        if client is None:
            config = {"bootstrap.servers": where, "logger": _quiet, "socket.connection.setup.timeout.ms": 1000}
            client = self._clients[where] = AdminClient(config | self.cluster.client_config())
        ports = {n.spec.client_port: n.spec.node_id for n in self.cluster.brokers}
        try:
            return Answer.of(client.list_topics(timeout=1.0), ports)
        except Exception:  # no answer in time: the next poll asks again
            return None

    def _lane(self, name: str) -> str:
        return self.lane or name

    def _label(self, name: str, what: str) -> str:
        return f"{name}: {what}" if self.lane else what

    def _record(self, timeline: Timeline) -> None:
        if self.history is None:
            for at, key, view in self.views.changes:
                for name in (name for name, k in self.partitions.items() if k == key):
                    leader = "none" if view.leader is None else f"broker {view.leader}"
                    what = self._label(name, f"leader {leader}")
                    timeline.record(self._lane(name), what, f"ISR {view.isr} (a broker's answer)", at=at)
            return
        for name, (topic, partition) in self.partitions.items():
            first = self.history.state_at(topic, partition, self.started)
            for change in ([first] if first else []) + self.changes(topic, partition):
                at = max(change.at, self.started)
                timeline.record(self._lane(name), self._label(name, change.describe()), change.detail(), at=at)
        if self.fences:
            for f in self.history.fencings:
                if self.started <= f.at <= self.ended:
                    timeline.record(self.fences, f.describe(), at=f.at)


def _read_history(cluster: Cluster) -> controller.History:
    """The controller's history, asked once more after a failure: the tool reads a log being written."""
    try:
        return controller.history(cluster)
    except KafkalabError:
        time.sleep(0.5)
        return controller.history(cluster)
