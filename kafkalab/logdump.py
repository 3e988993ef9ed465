"""What a replica's log files hold, batch by batch: producer id, producer epoch and sequence numbers,
which no consumer API shows. Read with Kafka's own DumpLogSegments tool from the node's data folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .cluster import Cluster
from .errors import ClusterStateError
from .tools import run_tool

_BATCH = re.compile(
    r"baseOffset: (\d+) lastOffset: (\d+) .*?baseSequence: (-?\d+) .*?producerId: (-?\d+) "
    r"producerEpoch: (-?\d+) partitionLeaderEpoch: (-?\d+)"
)


@dataclass(frozen=True)
class Batch:
    base_offset: int
    last_offset: int
    base_sequence: int  # -1: the producer was not idempotent
    producer_id: int  # -1: the producer was not idempotent
    producer_epoch: int
    leader_epoch: int  # the partition leader epoch that appended it

    def holds(self, offset: int) -> bool:
        return self.base_offset <= offset <= self.last_offset


def parse(dump: str) -> list[Batch]:
    """The batches in DumpLogSegments output (without --deep-iteration), in file order."""
    return [Batch(*map(int, m)) for m in _BATCH.findall(dump)]


def stored_batches(cluster: Cluster, topic: str, partition: int = 0, node: int | None = None) -> list[Batch]:
    """Every batch of one partition as stored by `node` (default: its current leader)."""
    if node is None:
        node = cluster.leader(topic, partition)
        if node is None:
            raise ClusterStateError(f"{topic}-{partition} has no leader: name the node to read from")
    folder = cluster.node(node).data_dir / f"{topic}-{partition}"
    segments = sorted(folder.glob("*.log"))
    if not segments:
        raise ClusterStateError(f"node {node} holds no log segment of {topic}-{partition} in {folder}")
    return parse(run_tool("DumpLogSegments", "--files", ",".join(map(str, segments)), timeout=60).stdout)
