"""kafkalab.faults: each fault is done to the cluster and recorded on every timeline, in the broker's lane,
with the state the broker is in from then on."""

from kafkalab.faults import Faults
from kafkalab.lab import Timeline


class _Spec:
    def __init__(self, node_id: int) -> None:
        self.node_id, self.is_broker = node_id, node_id != 0


class _Node:
    def __init__(self, node_id: int) -> None:
        self.spec = _Spec(node_id)


class FakeCluster:
    def __init__(self) -> None:
        self.done: list[tuple[str, int]] = []

    def node(self, node_id: int) -> _Node:
        return _Node(node_id)

    def pause(self, n: int) -> None:
        self.done.append(("pause", n))

    def resume(self, n: int) -> None:
        self.done.append(("resume", n))

    def kill(self, n: int) -> None:
        self.done.append(("kill", n))

    def start(self, n: int, timeout: float = 60.0) -> None:
        self.done.append(("start", n))


def test_each_fault_is_done_and_recorded_on_every_timeline_at_one_moment():
    cluster, one, two = FakeCluster(), Timeline(), Timeline()
    faults = Faults(cluster, one, two)
    faults.pause(2, 3)
    faults.kill(1)
    faults.resume(2, 3)
    faults.start(1)
    faults.kill(0)
    assert cluster.done == [
        ("pause", 2),
        ("pause", 3),
        ("kill", 1),
        ("resume", 2),
        ("resume", 3),
        ("start", 1),
        ("kill", 0),
    ]
    assert [(e.lane, e.what, e.state) for e in one.sorted()] == [
        ("broker 2", "paused (SIGSTOP)", "paused"),
        ("broker 3", "paused (SIGSTOP)", "paused"),
        ("broker 1", "killed (SIGKILL)", "down"),
        ("broker 2", "resumed (SIGCONT)", "up"),
        ("broker 3", "resumed (SIGCONT)", "up"),
        ("broker 1", "restarting", None),
        ("broker 1", "registered again", "up"),
        ("controller", "killed (SIGKILL)", "down"),
    ]
    assert [(e.at, e.lane, e.what) for e in one.events] == [(e.at, e.lane, e.what) for e in two.events]
