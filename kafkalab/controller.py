"""What the controller decided, and when: every leader, ISR and ELR change and every fencing, read from
the controller's own metadata log.

In KRaft the controller writes each decision as a record to the `__cluster_metadata` log before any
broker hears of it, with the time it wrote the batch. Kafka's DumpLogSegments tool decodes that log
(`--cluster-metadata-decoder`); replaying its records gives the history of each partition exactly,
however briefly a state lasted. A metadata request to a broker, by contrast, answers with the state
of that broker's cache at that moment, and a poll that asks now and then can miss a state.

Its server.log adds the controller's own words for some changes ("UNCLEAN partition change ...").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .cluster import Cluster
from .errors import ClusterStateError
from .node import Node
from .tools import run_tool

METADATA_LOG = "__cluster_metadata-0"
_RECORD = re.compile(r"^\| offset: (\d+) CreateTime: (\d+) .*? payload: (\{.*\})\s*$", re.M)


@dataclass(frozen=True)
class Change:
    """A partition's state right after one change the controller made to it."""

    at: float  # time.time() of the controller's batch
    topic: str
    partition: int
    leader: int | None
    isr: list[int]
    elr: list[int]
    last_known_elr: list[int]
    recovering: bool  # the leader was elected uncleanly and is recovering (leaderRecoveryState 1)

    def describe(self) -> str:
        """The change as a timeline label: "leader broker 3" or "leader none"."""
        return "leader none" if self.leader is None else f"leader broker {self.leader}"

    def detail(self) -> str:
        elr = f", ELR {self.elr}" if self.elr or self.last_known_elr else ""
        known = f", last known ELR {self.last_known_elr}" if self.last_known_elr else ""
        return f"ISR {self.isr}{elr}{known}" + (", recovering" if self.recovering else "")


@dataclass(frozen=True)
class Fencing:
    """The controller fenced a broker (it may lead nothing), unfenced it, or took its registration."""

    at: float
    broker: int
    fenced: bool  # False: unfenced, allowed to lead again
    registration: bool = False  # a broker that (re)starts registers, fenced until it has caught up

    def describe(self) -> str:
        if self.registration:
            return f"registers broker {self.broker}"
        return f"{'fences' if self.fenced else 'unfences'} broker {self.broker}"


@dataclass
class History:
    """Every change of every partition and every fencing, in the order the controller made them."""

    changes: list[Change] = field(default_factory=list)
    fencings: list[Fencing] = field(default_factory=list)

    def of(self, topic: str, partition: int = 0) -> list[Change]:
        return [c for c in self.changes if c.topic == topic and c.partition == partition]

    def state_at(self, topic: str, partition: int, at: float) -> Change | None:
        """The partition's state at time `at` (None: it did not exist yet)."""
        before = [c for c in self.of(topic, partition) if c.at <= at]
        return before[-1] if before else None

    def leaderless(self, topic: str, partition: int = 0) -> list[tuple[float, float | None]]:
        """The spells without a leader: (from, until), until None while it lasts."""
        spells: list[tuple[float, float | None]] = []
        start = None
        for c in self.of(topic, partition):
            if c.leader is None and start is None:
                start = c.at
            elif c.leader is not None and start is not None:
                spells.append((start, c.at))
                start = None
        return spells + ([(start, None)] if start is not None else [])

    def fenced(self, broker: int, at: float) -> bool:
        """Whether the controller had `broker` fenced at time `at` (a new broker registers fenced)."""
        state = True
        for f in self.fencings:
            if f.broker == broker and f.at <= at:
                state = f.fenced
        return state

    def unfenced_throughout(self, brokers: list[int], start: float, end: float) -> bool:
        """True if every one of `brokers` was registered and unfenced from `start` to `end`."""
        changed = [f for f in self.fencings if f.broker in brokers and start < f.at <= end]
        return not changed and not any(self.fenced(b, start) for b in brokers)


def parse(dump: str) -> list[tuple[float, dict]]:
    """(time, record) for each metadata record in DumpLogSegments `--cluster-metadata-decoder` output."""
    return [(int(ms) / 1000, json.loads(payload)) for _, ms, payload in _RECORD.findall(dump)]


def replay(records: list[tuple[float, dict]]) -> History:
    """Apply the records in order: a PARTITION_RECORD states a partition in full, a
    PARTITION_CHANGE_RECORD names only the fields that change."""
    history, names, state = History(), {}, {}
    for at, record in records:
        kind, data = record.get("type"), record.get("data", {})
        if kind == "TOPIC_RECORD":
            names[data["topicId"]] = data["name"]
        elif kind in ("PARTITION_RECORD", "PARTITION_CHANGE_RECORD") and data.get("topicId") in names:
            key = (names[data["topicId"]], data["partitionId"])
            now = state.setdefault(key, {"leader": -1, "isr": [], "elr": [], "lkelr": [], "recovery": 0})
            for ours, theirs in (("leader", "leader"), ("isr", "isr"), ("elr", "eligibleLeaderReplicas"),
                                 ("lkelr", "lastKnownElr"), ("recovery", "leaderRecoveryState")):  # fmt: skip
                if data.get(theirs) is not None:
                    now[ours] = data[theirs]
            leader = None if now["leader"] < 0 else now["leader"]
            history.changes.append(
                Change(at, *key, leader, list(now["isr"]), list(now["elr"]), list(now["lkelr"]), now["recovery"] == 1)
            )
        elif kind == "REGISTER_BROKER_RECORD":
            history.fencings.append(Fencing(at, data["brokerId"], bool(data.get("fenced", True)), registration=True))
        elif kind == "BROKER_REGISTRATION_CHANGE_RECORD" and data.get("fenced") in (1, -1):
            history.fencings.append(Fencing(at, data["brokerId"], data["fenced"] == 1))
        elif kind in ("FENCE_BROKER_RECORD", "UNFENCE_BROKER_RECORD"):
            history.fencings.append(Fencing(at, data["id"], kind == "FENCE_BROKER_RECORD"))
    return history


def controller_node(cluster: Cluster) -> Node:
    """The node whose metadata log is the controller's own (the first node that is no broker)."""
    controllers = [n for n in cluster.nodes if not n.spec.is_broker] or cluster.nodes
    return controllers[0]


def history(cluster: Cluster, timeout: float = 60.0) -> History:
    """Replay the controller's metadata log as it is now (one run of DumpLogSegments, about a second)."""
    folder = controller_node(cluster).data_dir / METADATA_LOG
    segments = sorted(folder.glob("*.log"))
    if not segments:
        raise ClusterStateError(f"no metadata log in {folder}: is the cluster formatted and started?")
    files = ",".join(map(str, segments))
    out = run_tool("DumpLogSegments", "--cluster-metadata-decoder", "--files", files, timeout=timeout)
    return replay(parse(out.stdout))


def log_lines(cluster: Cluster, topic: str, partition: int = 0) -> list[str]:
    """The controller's INFO lines about changes of one partition (it logs unclean ones, for one),
    without the logger's and the topic id's noise."""
    lines = _read(controller_node(cluster).log_path).splitlines()
    wanted = [line for line in lines if f"partition change for {topic}-{partition} " in line]
    noise = r" INFO \[QuorumController id=\d+\]| with topic ID [^:\s]+|\s*\(org\.apache.*$"
    return [re.sub(noise, "", line) for line in wanted]


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
