"""Topics for a fault lab: created with a chosen replica order, and described the way Kafka's own
`kafka-topics.sh --describe` (TopicCommand) does, Eligible Leader Replicas included.

Which broker leads a partition decides which fault hits it: a lab that freezes "the followers" needs
to know who they are before it starts. `new_topics` creates topics whose replicas are listed in an
order the lab chooses; the first replica is the preferred leader, and leads once the topic is ready.

The Python admin clients report leader, replicas and ISR only; the ELR (KIP-966) and the last known
ELR come from the DescribeTopicPartitions API, which TopicCommand prints as `Elr` and `LastKnownElr`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from confluent_kafka.admin import NewTopic

from .admin import Admin
from .cluster import Cluster
from .errors import ClusterStateError
from .tools import run_tool


@dataclass(frozen=True)
class Described:
    """One partition as TopicCommand describes it."""

    topic: str
    partition: int
    leader: int | None  # None: "Leader: none"
    replicas: list[int]
    isr: list[int]
    elr: list[int]  # replicas the controller may still elect cleanly although they left the ISR
    last_known_elr: list[int]  # the ELR members last seen before the ELR emptied

    def __str__(self) -> str:
        """The partition the way TopicCommand prints it."""
        leader = "none" if self.leader is None else self.leader
        ids = {k: ",".join(map(str, v)) for k, v in (("r", self.replicas), ("i", self.isr), ("e", self.elr))}
        known = ",".join(map(str, self.last_known_elr))
        return f"Leader: {leader}  Replicas: {ids['r']}  Isr: {ids['i']}  Elr: {ids['e']}  LastKnownElr: {known}"


def new_topics(
    bootstrap_servers: str,
    prefix: str,
    configs: Mapping[str, Mapping[str, str]],
    replicas: Sequence[int],
    partitions: int = 1,
    timeout: float = 30.0,
) -> dict[str, str]:
    """Create one topic per key of `configs` (that topic's settings), each partition with the replicas
    in the order given, and wait until every partition has its leader (the first replica) and a full
    ISR. Returns key -> topic name, each name `<prefix>-<key>-<random suffix>`."""
    if len(set(replicas)) != len(replicas) or not replicas:
        raise ClusterStateError(f"replicas {list(replicas)}: name each broker once, the leader first")
    names = {key: _name(f"{prefix}-{key}") for key in configs}
    admin = Admin(bootstrap_servers)
    wanted = [
        NewTopic(names[key], partitions, replica_assignment=[list(replicas)] * partitions, config=dict(config))
        for key, config in configs.items()
    ]
    for future in admin.client.create_topics(wanted, request_timeout=timeout).values():
        future.result(timeout=timeout)
    admin.await_healthy(list(names.values()), timeout)
    deadline = time.monotonic() + timeout
    for name in names.values():  # a full ISR can briefly come before the preferred leader leads
        while any(admin.partition(name, p).leader != replicas[0] for p in range(partitions)):
            if time.monotonic() > deadline:
                raise ClusterStateError(f"{name}: broker {replicas[0]} does not lead after {timeout}s")
            time.sleep(0.1)
    return names


def describe(
    cluster: Cluster, topics: Sequence[str], brokers: Sequence[int] | None = None, timeout: float = 60.0
) -> dict[str, list[Described]]:
    """Every partition of the topics as TopicCommand describes them: topic -> partitions in order.

    The tool asks the running brokers (paused ones would stall it), or the `brokers` named: a broker
    that was frozen or restarted a moment ago may still answer from its old metadata."""
    ids = list(brokers) if brokers is not None else [n.spec.node_id for n in cluster.brokers if n.state() == "running"]
    if not ids:
        raise ClusterStateError("no running broker to describe topics with: resume or start one")
    where = ",".join(f"127.0.0.1:{cluster.node(i).spec.client_port}" for i in ids)
    pattern = "|".join(re.escape(t) for t in topics)
    out = run_tool(
        "TopicCommand", "--bootstrap-server", where, "--describe", "--if-exists", "--topic", pattern, timeout=timeout
    )
    described = parse_describe(out.stdout)
    missing = [t for t in topics if t not in described]
    if missing:
        raise ClusterStateError(f"TopicCommand described no partition of {missing}:\n{out.stdout[-2000:]}")
    return described


def parse_describe(text: str) -> dict[str, list[Described]]:
    """The partition lines of `TopicCommand --describe` output (tab-separated `Key: value` fields)."""
    found: dict[str, list[Described]] = {}
    for line in text.splitlines():
        fields = {k.strip(): v.strip() for k, _, v in (f.partition(":") for f in line.strip().split("\t"))}
        if "Partition" not in fields or "Leader" not in fields:
            continue  # the topic's own line, or anything else the tool printed
        leader = fields["Leader"]
        found.setdefault(fields["Topic"], []).append(
            Described(
                topic=fields["Topic"],
                partition=int(fields["Partition"]),
                leader=None if leader in ("none", "-1") else int(leader),
                replicas=_ids(fields.get("Replicas", "")),
                isr=_ids(fields.get("Isr", "")),
                elr=_ids(fields.get("Elr", "")),
                last_known_elr=_ids(fields.get("LastKnownElr", "")),
            )
        )
    return {topic: sorted(parts, key=lambda d: d.partition) for topic, parts in found.items()}


def _ids(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip() not in ("", "none")]


def _name(prefix: str) -> str:
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '-', prefix)[:200]}-{uuid.uuid4().hex[:8]}"
