"""Metadata questions any cluster can answer: which brokers, which leader, which ISR, create a topic.

Works against a kafkalab cluster or any other (docker compose), given bootstrap servers.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ClusterMetadata, NewTopic

from .connection import client_settings
from .errors import ClusterStateError, NodeFailed

_quiet = logging.getLogger("kafkalab.admin")  # librdkafka's connection noise goes nowhere
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


@dataclass(frozen=True)
class PartitionState:
    leader: int | None
    replicas: list[int]
    isr: list[int]


class Admin:
    """A short-lived admin client; make a new one when the set of reachable brokers changes.
    `client_config`: the security settings of the cluster (None: those of $KAFKA_CLIENT_CONFIG)."""

    def __init__(self, bootstrap_servers: str, client_config: dict[str, str] | None = None) -> None:
        self.client = AdminClient(
            {
                "bootstrap.servers": bootstrap_servers,
                "logger": _quiet,
                "socket.connection.setup.timeout.ms": 2000,
                **(client_settings("confluent-kafka") if client_config is None else client_config),
            }
        )

    def metadata(self, topic: str | None = None, timeout: float = 10.0) -> ClusterMetadata:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.client.list_topics(topic=topic, timeout=min(3.0, timeout))
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def registered_brokers(self) -> set[int]:
        """Brokers the metadata lists: in KRaft, registered and not fenced."""
        try:
            return set(self.metadata(timeout=3.0).brokers)
        except KafkaException:
            return set()

    def partition(self, topic: str, partition: int = 0, timeout: float = 5.0) -> PartitionState:
        """The partition's leader, replicas and ISR. A topic that a broker does not know yet (just
        created: the controller's news reaches each broker's metadata cache a moment apart) is asked
        again until `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        while True:
            t = self.metadata(topic, timeout=max(timeout, 1.0)).topics.get(topic)
            # A topic-level error such as LEADER_NOT_AVAILABLE comes with its partitions listed: a
            # leaderless partition is a state to report (leader None), not a missing partition.
            if t is not None and partition in t.partitions:
                break
            if time.monotonic() > deadline:
                raise ClusterStateError(f"no partition {topic}-{partition}: {t.error if t else 'no such topic'}")
            time.sleep(0.1)
        p = t.partitions[partition]
        return PartitionState(p.leader if p.leader >= 0 else None, list(p.replicas), list(p.isrs))

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        replication_factor: int = 1,
        config: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Create a topic and wait until every partition has a leader and a full ISR."""
        new = NewTopic(name, partitions, replication_factor, config=config or {})
        self.client.create_topics([new], request_timeout=timeout)[name].result(timeout=timeout)
        self.await_healthy([name], timeout)

    def unhealthy(self, topics: list[str] | None = None) -> list[str]:
        """Partitions without a leader or with an ISR smaller than their replica set."""
        try:
            md = self.metadata(timeout=3.0)
        except KafkaException as e:
            return [f"metadata unavailable ({e})"]
        problems = []
        for name in topics if topics is not None else md.topics:
            t = md.topics.get(name)
            if t is None or t.error is not None or not t.partitions:
                problems.append(f"{name}: {t.error if t else 'not in metadata yet'}")
                continue
            for p in t.partitions.values():
                if p.leader < 0 or sorted(p.isrs) != sorted(p.replicas):
                    problems.append(f"{name}-{p.id} leader={p.leader} isr={p.isrs} replicas={p.replicas}")
        return problems

    def await_healthy(self, topics: list[str] | None, timeout: float = 30.0) -> None:
        """Wait up to `timeout` seconds until every partition of `topics` (None: all) has a leader and
        a full ISR."""
        deadline = time.monotonic() + timeout
        while problems := self.unhealthy(topics):
            if time.monotonic() > deadline:
                raise NodeFailed("timed out waiting for partitions to heal: " + "; ".join(problems[:5]))
            time.sleep(0.2)


def new_topic(
    bootstrap_servers: str,
    prefix: str,
    partitions: int = 1,
    replication_factor: int | None = None,
    config: dict[str, str] | None = None,
    timeout: float = 30.0,
    client_config: dict[str, str] | None = None,
) -> str:
    """Create a uniquely named topic (prefix + random suffix) and wait until it is fully replicated.

    The replication factor defaults to min(3, brokers), so the same code runs on 1 or 3 brokers.
    `client_config` as for Admin (None: the settings of $KAFKA_CLIENT_CONFIG).
    """
    name = f"{re.sub(r'[^A-Za-z0-9._-]+', '-', prefix)[:200]}-{uuid.uuid4().hex[:8]}"
    return create_topic(bootstrap_servers, name, partitions, replication_factor, config, timeout, client_config)


def create_topic(
    bootstrap_servers: str,
    name: str,
    partitions: int = 1,
    replication_factor: int | None = None,
    config: dict[str, str] | None = None,
    timeout: float = 30.0,
    client_config: dict[str, str] | None = None,
) -> str:
    """Create the topic `name` (as new_topic does, without the suffix) and wait until it is fully
    replicated; returns the name."""
    admin = Admin(bootstrap_servers, client_config)
    rf = replication_factor or min(3, len(admin.registered_brokers()) or 1)
    admin.create_topic(name, partitions, rf, config, timeout)
    return name


def broker_count(bootstrap_servers: str, client_config: dict[str, str] | None = None, timeout: float = 15.0) -> int:
    """How many brokers the cluster's metadata lists (asked for up to `timeout` seconds): what a test
    that wants replication factor 3 checks on a cluster it did not start."""
    return len(Admin(bootstrap_servers, client_config).metadata(timeout=timeout).brokers)
