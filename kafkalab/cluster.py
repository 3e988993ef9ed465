"""Layer 3: a cluster of nodes. Start, readiness, state file, faults, leader and ISR look-ups."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .admin import Admin, PartitionState
from .errors import ClusterStateError, KafkalabError, NodeFailed, PortBusy
from .node import Node
from .proxy import FrameProxy, ProxyEvent, ProxySet
from .runtime import KAFKA_VERSION, Runtime, home, java_executable, resolved
from .topology import DEFAULT_PORT_BASE, Topology

READY_TOPIC = "__kafkalab_ready"


def default_state_dir() -> Path:
    return Path(os.environ.get("KAFKALAB_STATE_DIR") or home() / "cluster")


@dataclass(frozen=True)
class NodeStatus:
    node_id: int
    role: str
    pid: int | None
    ports: dict[str, int]
    state: str  # running, paused or dead


class Cluster:
    """A kafkalab cluster on 127.0.0.1.

    >>> c = Cluster(brokers=3); c.up()       # doctest: +SKIP
    >>> c.kill(c.leader("orders", 0))        # doctest: +SKIP
    >>> c.wait_healthy(); c.down()           # doctest: +SKIP
    """

    def __init__(
        self,
        brokers: int = 3,
        *,
        port_base: int = DEFAULT_PORT_BASE,
        state_dir: str | Path | None = None,
        elr: bool = True,
        sasl: bool = False,
        overrides: dict[str, object] | None = None,
        die_with_parent: bool = False,
        log: Callable[[str], None] = print,
    ) -> None:
        self.topology = Topology(brokers, port_base, sasl)
        self.state_dir = Path(state_dir) if state_dir else default_state_dir()
        self.elr = elr
        self.overrides = dict(overrides or {})
        self.die_with_parent = die_with_parent
        self.log = log
        self.cluster_id: str | None = None
        self.timings: dict[str, float] = {}  # seconds from the start of up() to each phase's end
        self.nodes = [Node(spec, self.state_dir / f"node-{spec.node_id}") for spec in self.topology.nodes()]

    # -- state file ----------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.state_dir / "cluster.json"

    @classmethod
    def attach(cls, state_dir: str | Path | None = None, log: Callable[[str], None] = print) -> Cluster:
        """The cluster recorded in a state dir (by `kafkalab up` or another process)."""
        state_dir = Path(state_dir) if state_dir else default_state_dir()
        path = state_dir / "cluster.json"
        if not path.exists():
            raise ClusterStateError(f"no kafkalab cluster recorded in {state_dir}: run `kafkalab up` first")
        data = json.loads(path.read_text())
        c = cls(
            data["brokers"], port_base=data["port_base"], state_dir=state_dir,
            elr=data["elr"], sasl=data.get("sasl", False), overrides=data["overrides"], log=log,
        )  # fmt: skip
        c.cluster_id = data["cluster_id"]
        pids = {n["node_id"]: n["pid"] for n in data["nodes"]}
        for node in c.nodes:
            node.pid = pids.get(node.spec.node_id)
        return c

    def _sync(self) -> None:
        """Adopt pids another process recorded (a notebook restarting a node, say): without this, a
        stale pid makes a running node look dead, and restarting it would start a second JVM on the
        same data."""
        if not self.state_file.exists():
            return
        recorded = {n["node_id"]: n["pid"] for n in json.loads(self.state_file.read_text())["nodes"]}
        for node in self.nodes:
            pid = recorded.get(node.spec.node_id)
            if pid and pid != node.pid and not node.alive:
                node.adopt(pid)

    def _save(self, ready: bool) -> None:
        data = {
            "version": KAFKA_VERSION,
            "cluster_id": self.cluster_id,
            "brokers": self.topology.brokers,
            "port_base": self.topology.port_base,
            "bootstrap_servers": self.bootstrap_servers,
            "elr": self.elr,
            "sasl": self.topology.sasl,
            "overrides": self.overrides,
            "ready": ready,
            "nodes": [n.to_json() for n in self.nodes],
        }
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.replace(self.state_file)

    # -- basics --------------------------------------------------------------------------
    @property
    def version(self) -> str:
        return KAFKA_VERSION

    @property
    def bootstrap_servers(self) -> str:
        return self.topology.bootstrap_servers()

    @property
    def brokers(self) -> list[Node]:
        return [n for n in self.nodes if n.spec.is_broker]

    def node(self, node_id: int) -> Node:
        self._sync()
        for n in self.nodes:
            if n.spec.node_id == node_id:
                return n
        ids = ", ".join(str(n.spec.node_id) for n in self.nodes)
        raise ClusterStateError(f"no node {node_id} in this cluster (nodes: {ids})")

    def is_up(self) -> bool:
        self._sync()
        return any(n.alive for n in self.nodes)

    def status(self) -> list[NodeStatus]:
        self._sync()
        out = []
        for n in self.nodes:
            names = ("client", "internal", "controller")
            ports = dict(zip(names, (n.spec.client_port, n.spec.internal_port, n.spec.controller_port), strict=True))
            out.append(
                NodeStatus(
                    n.spec.node_id,
                    n.spec.role,
                    n.pid,
                    {k: v for k, v in ports.items() if v},
                    n.state(),
                )
            )
        return out

    # -- up / down -----------------------------------------------------------------------
    def up(self, timeout: float = 120.0) -> Cluster:
        """Format and start every node, then wait until the cluster takes replicated writes."""
        if self.state_file.exists():
            running = Cluster.attach(self.state_dir, log=self.log)
            if running.is_up():
                raise ClusterStateError(
                    f"a kafkalab cluster is already up ({running.bootstrap_servers}); "
                    "nothing was started. Use it, or `kafkalab down` first."
                )
        self._check_ports()
        runtime = resolved()
        java = java_executable()
        shutil.rmtree(self.state_dir, ignore_errors=True)
        self.state_dir.mkdir(parents=True)
        self.cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        t0 = time.monotonic()
        try:
            self._format(runtime, java)
            self.timings["formatted"] = time.monotonic() - t0
            self.log(f"kafkalab: formatted {len(self.nodes)} node(s) in {self.timings['formatted']:.1f}s")
            for n in self.nodes:
                n.start(runtime, java, self.die_with_parent)
            self._save(ready=False)
            self._await_ready(t0 + timeout, t0)
        except BaseException:
            self._kill_all()
            raise
        self._save(ready=True)
        self.timings["ready"] = time.monotonic() - t0
        self.log(f"kafkalab: ready in {self.timings['ready']:.1f}s; bootstrap servers {self.bootstrap_servers}")
        return self

    def _check_ports(self) -> None:
        for port in (p for spec in self.topology.nodes() for p in spec.ports):
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Kafka does: TIME_WAIT is fine
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    raise PortBusy(
                        port,
                        "Another Kafka or kafkalab cluster may be running (see `kafkalab status`); "
                        "stop it, or choose other ports with --port-base / KAFKALAB_PORT_BASE.",
                    ) from None

    def _format(self, runtime: Runtime, java: str) -> None:
        extra = [] if self.elr else ["--feature", "eligible.leader.replicas.version=0"]
        procs = []
        for n in self.nodes:
            n.write_config(self.topology.settings(n.spec, str(n.data_dir), self.overrides))
            procs.append((n, n.format(runtime, java, self.cluster_id, extra)))
        for n, proc in procs:  # formatted side by side: each is a JVM start
            n.finish_format(proc)

    def _await_ready(self, deadline: float, t0: float) -> None:
        pending = list(self.nodes)
        while pending:
            self._fail_if_dead(self.nodes)
            for n in list(pending):
                if _listening(n.spec.ports[0]):
                    self.log(f"kafkalab: node {n.spec.node_id} ({n.spec.role}) up, pid {n.pid}, "
                             f"ports {n.spec.ports} after {time.monotonic() - t0:.1f}s")  # fmt: skip
                    pending.remove(n)
            self._check_deadline(deadline, pending, "to open its listeners")
            time.sleep(0.1)
        self.timings["listening"] = time.monotonic() - t0
        self.wait_healthy(timeout=max(1.0, deadline - time.monotonic()), restore=False)

    def _fail_if_dead(self, nodes: list[Node]) -> None:
        for n in nodes:
            if not n.alive:
                raise NodeFailed(
                    f"node {n.spec.node_id} ({n.spec.role}) {n.exit_status()} during start-up.\n{n.log_tail()}"
                )

    def _check_deadline(self, deadline: float, waiting: list[Node], what: str) -> None:
        if time.monotonic() > deadline:
            tails = "\n".join(n.log_tail(20) for n in waiting)
            ids = ", ".join(str(n.spec.node_id) for n in waiting)
            raise NodeFailed(f"timed out waiting for node(s) {ids} {what}.\n{tails}")

    def _kill_all(self) -> None:
        for n in self.nodes:
            n.kill()
        for n in self.nodes:
            n.wait_exit(10)

    def down(self) -> None:
        """Stop every node at once and remove the cluster's data. Nothing running is fine."""
        if self.state_file.exists():
            recorded = Cluster.attach(self.state_dir, log=self.log)
            for n, r in zip(self.nodes, recorded.nodes, strict=True):
                n.pid = n.pid or r.pid
        self._kill_all()
        left = [n.spec.node_id for n in self.nodes if n.alive]
        if left:
            raise KafkalabError(f"nodes {left} did not exit after SIGKILL; see `kafkalab status`")
        shutil.rmtree(self.state_dir, ignore_errors=True)

    # -- faults --------------------------------------------------------------------------
    def kill(self, node_id: int) -> None:
        """SIGKILL: a crash. The page cache survives; the process does not."""
        n = self.node(node_id)
        n.signal(signal.SIGKILL)
        self._await_gone(n, 15)

    def _await_gone(self, n: Node, timeout: float) -> None:
        """Dead, and its listeners closed: only then may the node be started again."""
        deadline = time.monotonic() + timeout
        while n.alive or any(_listening(p) for p in n.spec.ports):
            if time.monotonic() > deadline:
                raise NodeFailed(f"node {n.spec.node_id} still holds its ports {timeout}s after SIGKILL")
            time.sleep(0.05)

    def stop(self, node_id: int, timeout: float = 30.0) -> None:
        """SIGTERM: a controlled shutdown that hands leadership over first."""
        n = self.node(node_id)
        if n.state() == "paused":
            n.signal(signal.SIGCONT)
        n.signal(signal.SIGTERM)
        if not n.wait_exit(timeout):
            n.kill()
            raise NodeFailed(f"node {node_id} did not stop within {timeout}s and was killed.\n{n.log_tail(20)}")

    def pause(self, node_id: int) -> None:
        """SIGSTOP: the JVM freezes, like a very long GC pause; its sockets stay open."""
        self._signal_until(node_id, signal.SIGSTOP, "paused")

    def resume(self, node_id: int) -> None:
        self._signal_until(node_id, signal.SIGCONT, "running")

    def _signal_until(self, node_id: int, sig: int, state: str, timeout: float = 5.0) -> None:
        """Signals are delivered asynchronously: return only once /proc shows the new state."""
        n = self.node(node_id)
        n.signal(sig)
        deadline = time.monotonic() + timeout
        while n.state() != state:
            if time.monotonic() > deadline:
                raise NodeFailed(f"node {node_id} is {n.state()}, not {state}, {timeout}s after signal {sig}")
            time.sleep(0.01)

    def start(self, node_id: int, timeout: float = 60.0) -> None:
        """Restart a stopped or killed node with its data, and wait until it is registered again."""
        n = self.node(node_id)
        if n.alive:
            raise ClusterStateError(f"node {node_id} is already {n.state()}")
        busy = [p for p in n.spec.ports if _listening(p)]
        if busy:
            raise ClusterStateError(f"node {node_id} is not ours to start: something answers on port(s) {busy}")
        n.start(resolved(), java_executable(), self.die_with_parent)
        self._save(ready=True)
        deadline = time.monotonic() + timeout
        while not _listening(n.spec.ports[0]) or (n.spec.is_broker and node_id not in self.registered_brokers()):
            self._fail_if_dead([n])
            self._check_deadline(deadline, [n], "to rejoin the cluster")
            time.sleep(0.2)

    def proxies(self, on_event: Callable[[ProxyEvent], None] | None = None) -> ProxySet:
        """Start a Kafka-aware proxy in front of every broker's PROXIED listener (a context manager).
        Clients that bootstrap from `.bootstrap_servers` of the result talk to the brokers through it."""
        proxies = {n.spec.node_id: FrameProxy(n.spec.proxy_port, n.spec.proxied_port, on_event) for n in self.brokers}
        return ProxySet(proxies, self.topology.proxy_bootstrap_servers()).start()

    # -- metadata ------------------------------------------------------------------------
    def admin(self) -> Admin:
        """An admin client on the brokers that can answer now (paused ones would stall it)."""
        live = [n for n in self.brokers if n.state() == "running"] or self.brokers
        return Admin(",".join(f"127.0.0.1:{n.spec.client_port}" for n in live), self.client_config())

    def client_config(self, user: str = "admin") -> dict[str, str]:
        """Settings a confluent-kafka client needs besides bootstrap.servers (SASL login, if any)."""
        return self.topology.client_config(user)

    def registered_brokers(self) -> set[int]:
        return self.admin().registered_brokers()

    def partition(self, topic: str, partition: int = 0) -> PartitionState:
        return self.admin().partition(topic, partition)

    def leader(self, topic: str, partition: int = 0) -> int | None:
        return self.partition(topic, partition).leader

    def isr(self, topic: str, partition: int = 0) -> list[int]:
        return self.partition(topic, partition).isr

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        replication_factor: int | None = None,
        config: dict[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Create a topic (RF defaults to min(3, brokers)) and wait until its ISRs are full."""
        rf = replication_factor or self.topology.replication_factor
        self.admin().create_topic(name, partitions, rf, config, timeout)

    def wait_healthy(self, timeout: float = 60.0, restore: bool = True) -> None:
        """Reset after a lab: resume paused nodes, restart dead ones, then wait until every broker is
        registered and every partition has a leader and a full ISR."""
        deadline = time.monotonic() + timeout
        self._sync()
        if restore:
            for n in self.nodes:
                if n.state() == "paused":
                    self.resume(n.spec.node_id)
            for n in self.nodes:
                if not n.alive:
                    self.start(n.spec.node_id, timeout=max(1.0, deadline - time.monotonic()))
        want = {n.spec.node_id for n in self.brokers}
        while self.registered_brokers() != want:
            self._fail_if_dead(self.nodes)
            self._check_deadline(deadline, self.brokers, "to register with the controller")
            time.sleep(0.2)
        admin = self.admin()
        if READY_TOPIC not in admin.metadata().topics:
            self.create_topic(READY_TOPIC, timeout=max(1.0, deadline - time.monotonic()))
        admin.await_healthy(None, deadline)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
