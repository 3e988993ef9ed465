"""A lab's faults, each done to the cluster and recorded on the timeline in the broker's own lane, with
the state the broker is in from then on (the picture draws a paused lifeline dashed, a dead one not at
all).

>>> faults = Faults(cluster, timeline)     # doctest: +SKIP
>>> faults.pause(2, 3)                     # doctest: +SKIP
>>> faults.kill(1); faults.resume(2, 3)    # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cluster import Cluster

if TYPE_CHECKING:
    from .lab import Timeline


class Faults:
    """Pause, resume, kill and restart brokers of `cluster`, recording each on every timeline given
    (lane `broker N`), at the same moment on all of them."""

    def __init__(self, cluster: Cluster, *timelines: Timeline) -> None:
        self.cluster, self.timelines = cluster, timelines

    def pause(self, *nodes: int) -> None:
        """SIGSTOP: the process is frozen; its sockets stay open and nothing answers."""
        for node in nodes:
            self.cluster.pause(node)
            self._record(node, "paused (SIGSTOP)", "paused")

    def resume(self, *nodes: int) -> None:
        for node in nodes:
            self.cluster.resume(node)
            self._record(node, "resumed (SIGCONT)", "up")

    def kill(self, *nodes: int) -> None:
        """SIGKILL: a crash; the node keeps its data and can be started again."""
        for node in nodes:
            self.cluster.kill(node)
            self._record(node, "killed (SIGKILL)", "down")

    def start(self, *nodes: int, timeout: float = 60.0) -> None:
        """Restart killed or stopped nodes with their data; returns once each has registered again."""
        for node in nodes:
            self._record(node, "restarting", None)
            self.cluster.start(node, timeout=timeout)
            self._record(node, "registered again", "up")

    def start_together(self, *nodes: int, timeout: float = 60.0) -> None:
        """Restart killed or stopped nodes side by side (a whole cluster coming back after an outage);
        returns once every one has registered again, each recorded as it does."""
        for node in nodes:
            self._record(node, "restarting", None)
        self.cluster.start_together(
            nodes, timeout=timeout, on_registered=lambda n: self._record(n, "registered again", "up")
        )

    def _record(self, node: int, what: str, state: str | None) -> None:
        lane = f"broker {node}" if self.cluster.node(node).spec.is_broker else "controller"
        at = None
        for timeline in self.timelines:
            event = timeline.record(lane, what, at=at, state=state)
            at = getattr(event, "at", at)  # the same moment on every timeline
