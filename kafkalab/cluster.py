"""Layer 3: a cluster of nodes. Start, readiness, state file, faults, leader and ISR look-ups."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .admin import Admin, PartitionState
from .certs import LabCertificates
from .errors import ClusterStateError, KafkalabError, NodeFailed, PortBusy
from .node import JVM_OPTS, START_FLAGS, Node
from .proxy import FrameProxy, ProxyEvent, ProxySet
from .registry import Registry
from .registry import fetch as fetch_registry
from .runtime import (
    KAFKA_VERSION,
    ClassArchive,
    Runtime,
    StorageTemplate,
    home,
    java_executable,
    new_uuid,
    resolved,
)
from .topology import DEFAULT_PORT_BASE, Topology

READY_TOPIC = "__kafkalab_ready"
# What makes a start fast, each of which can be switched off (benchmarks/cluster_startup.py measures
# them one by one): the class-data archive, the storage template, and JVM flags for lab nodes.
SPEEDUPS = frozenset({"class-archive", "storage-template", "jvm-flags"})
ARCHIVE_RUN_TIMEOUT_S = 90.0


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
        sasl: bool | str = False,
        tls: str = "",
        tls_flaw: str | None = None,
        overrides: dict[str, object] | None = None,
        die_with_parent: bool = False,
        registry: bool = False,
        speedups: Iterable[str] = SPEEDUPS,
        log: Callable[[str], None] = print,
    ) -> None:
        self.state_dir = Path(state_dir) if state_dir else default_state_dir()
        self.topology = Topology(brokers, port_base, sasl, tls, str(self.state_dir.resolve() / "tls"))
        self.tls_flaw = tls_flaw  # a broken broker certificate on purpose (certs.BROKER_FLAWS), for tests
        self.speedups = frozenset(speedups)
        if not self.speedups <= SPEEDUPS:
            raise ValueError(f"unknown speedups {sorted(self.speedups - SPEEDUPS)}; known: {sorted(SPEEDUPS)}")
        self._node_jvm_args: list[str] = []  # for the nodes' JVMs only, not the storage tool's
        self.elr = elr
        self.overrides = dict(overrides or {})
        self.die_with_parent = die_with_parent
        self.with_registry = registry  # `up` starts a schema registry too (start_registry() does later)
        self.registry: Registry | None = None
        self.log = log
        self.cluster_id: str | None = None
        self.timings: dict[str, float] = {}  # seconds from the start of up() to each phase's end
        self.nodes = [Node(spec, self.state_dir / f"node-{spec.node_id}") for spec in self.topology.nodes()]

    # -- state file ----------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.state_dir / "cluster.json"

    def _recorded(self) -> dict | None:
        """The state file's contents (written by `up` in this or another process), or None. The one
        reader of the file; `_save` is its one writer."""
        return _read_state(self.state_file)

    @classmethod
    def attach(cls, state_dir: str | Path | None = None, log: Callable[[str], None] = print) -> Cluster:
        """The cluster recorded in a state dir (by `kafkalab up` or another process)."""
        state_dir = Path(state_dir) if state_dir else default_state_dir()
        data = _read_state(state_dir / "cluster.json")
        if data is None:
            raise ClusterStateError(f"no kafkalab cluster recorded in {state_dir}: run `kafkalab up` first")
        c = cls(
            data["brokers"], port_base=data["port_base"], state_dir=state_dir,
            elr=data["elr"], sasl=data.get("sasl", False), tls=data.get("tls", ""),
            tls_flaw=data.get("tls_flaw"), overrides=data["overrides"],
            speedups=data.get("speedups", SPEEDUPS), log=log,
        )  # fmt: skip
        c.cluster_id = data["cluster_id"]
        pids = {n["node_id"]: n["pid"] for n in data["nodes"]}
        for node in c.nodes:
            node.pid = pids.get(node.spec.node_id)
        if data.get("registry"):
            c.registry = Registry.from_json(data["registry"])
        return c

    def _sync(self) -> None:
        """Adopt pids another process recorded (a notebook restarting a node, say): without this, a
        stale pid makes a running node look dead, and restarting it would start a second JVM on the
        same data."""
        data = self._recorded()
        if data is None:
            return
        recorded = {n["node_id"]: n["pid"] for n in data["nodes"]}
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
            "tls": self.topology.tls,
            "tls_flaw": self.tls_flaw,
            "ca_file": str(self.ca_file) if self.ca_file else None,
            "client_config_file": str(self.client_config_file) if self.client_config_file else None,
            "overrides": self.overrides,
            "speedups": sorted(self.speedups),
            "ready": ready,
            "nodes": [n.to_json() for n in self.nodes],
            "registry": self.registry.to_json() if self.registry else None,
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
    def security(self) -> str:
        """The client listener's security: plaintext, tls, mtls, sasl-plain, tls+sasl-scram, ..."""
        return self.topology.mode

    @property
    def ca_file(self) -> Path | None:
        """The lab CA's certificate (PEM) that clients trust, for a TLS cluster; else None."""
        return self._certs.ca if self.topology.tls else None

    @property
    def client_config_file(self) -> Path | None:
        """The Java-style client.properties `up` wrote for a secured cluster: the file to name in
        $KAFKA_CLIENT_CONFIG (see kafkalab.client_settings). None for PLAINTEXT."""
        return self.state_dir / "client.properties" if self.topology.security_protocol != "PLAINTEXT" else None

    @property
    def _certs(self) -> LabCertificates:
        return LabCertificates(Path(self.topology.tls_dir))

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
        """Format and start every node, then wait until the cluster takes replicated writes. The
        first `up` of a runtime and Java builds the class-data archive first (not counted in timeout)."""
        if self._recorded() is not None:
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
        self.cluster_id = new_uuid()
        self._write_client_files()
        jvm_args = self._jvm_args(runtime, java, build=True)
        app = fetch_registry(self.log) if self.with_registry else None  # built once, like the archive
        t0 = time.monotonic()
        try:
            self._format(runtime, java, jvm_args)
            self.timings["formatted"] = time.monotonic() - t0
            self.log(f"kafkalab: formatted {len(self.nodes)} node(s) in {self.timings['formatted']:.1f}s")
            for n in self.nodes:
                n.start(runtime, java, self.die_with_parent, [*jvm_args, *self._node_jvm_args])
            if app is not None:  # it needs no broker: it starts beside them and is awaited after them
                self.registry = Registry(self.topology.registry_port, self.state_dir / "registry")
                self.registry.start(app, java, self.die_with_parent)
            self._save(ready=False)
            self._await_ready(t0 + timeout, t0)
            if self.registry is not None:
                self.registry.wait_ready(timeout=max(1.0, t0 + timeout - time.monotonic()))
                self.timings["registry"] = time.monotonic() - t0
                self.log(f"kafkalab: schema registry up, pid {self.registry.pid}, at {self.registry.url}")
        except BaseException:
            self._kill_all()
            raise
        self._save(ready=True)
        self._check_archive_use(runtime, java, jvm_args)
        self.timings["ready"] = time.monotonic() - t0
        self.log(f"kafkalab: ready in {self.timings['ready']:.1f}s; bootstrap servers {self.bootstrap_servers}")
        if self.client_config_file:
            ca = f"; CA certificate {self.ca_file}" if self.ca_file else ""
            self.log(f"kafkalab: client listener {self.topology.security_protocol} ({self.security}){ca}; "
                     f"client settings in {self.client_config_file}")  # fmt: skip
        return self

    def _write_client_files(self) -> None:
        """The CA and certificates of a TLS cluster, and client.properties for any secured one."""
        if self.topology.tls:
            self._certs.create(self.tls_flaw)
        if self.client_config_file:
            lines = [f"# kafkalab: admin's settings for the {self.security} client listener", ""]
            lines += [f"{k}={v}" for k, v in self.topology.client_properties().items()]
            self.client_config_file.write_text("\n".join(lines) + "\n")

    def _check_ports(self) -> None:
        registry = [self.topology.registry_port] if self.with_registry else []
        for port in [*(p for spec in self.topology.nodes() for p in spec.ports), *registry]:
            if not _bindable(port):
                raise PortBusy(
                    port,
                    "Another Kafka or kafkalab cluster may be running (see `kafkalab status`); "
                    "stop it, or choose other ports with --port-base / KAFKALAB_PORT_BASE.",
                )

    def _format(self, runtime: Runtime, java: str, jvm_args: list[str]) -> None:
        """Copy each node's storage from a template of its format; run the storage tool only for a
        format not seen before (or a template found damaged), and keep its output as the template."""
        extra = [] if self.elr else ["--feature", "eligible.leader.replicas.version=0"]
        extra += self.topology.format_args()  # SCRAM users: part of the template's key, like every argument
        procs = []
        for n in self.nodes:
            n.write_config(self.topology.settings(n.spec, str(n.data_dir), self.overrides))
            template = None
            if "storage-template" in self.speedups:
                template = StorageTemplate.for_format(runtime, n.spec.role, extra, self.overrides)
                problem = template.problem()
                if problem is None:
                    template.copy_to(n.data_dir, n.spec.node_id, self.cluster_id)
                    continue
                if problem != "missing":
                    self.log(f"kafkalab: storage template {template.path} is unusable ({problem}); "
                             "formatting with the storage tool and recording it again")  # fmt: skip
            procs.append((n, template, n.format(runtime, java, self.cluster_id, extra, jvm_args)))
        recorded = set()
        for n, template, proc in procs:  # formatted side by side: each is a JVM start
            n.finish_format(proc)
            if template is not None and template.path not in recorded:
                recorded.add(template.path)
                template.record(n.data_dir)

    def _jvm_args(self, runtime: Runtime, java: str, build: bool = False) -> list[str]:
        """JVM options beyond node.JVM_OPTS: the lab flags and the class-data archive, which `up`
        builds first when it is missing, stale or damaged (a restart only uses a good one)."""
        args = list(START_FLAGS if "jvm-flags" in self.speedups else [])
        if "class-archive" not in self.speedups:
            return args
        archive = self._archive(runtime, java)
        problem = archive.problem()
        if problem and build and archive.failed_marker.exists():
            self.log(f"kafkalab: starting without a class-data archive: this JVM wrote none before (delete "
                     f"{archive.failed_marker} to try again)")  # fmt: skip
        elif problem and build:
            if problem == "missing":
                self.log("kafkalab: building the class-data archive of this runtime and Java (once; it makes "
                         f"every later start faster): {archive.path}")  # fmt: skip
            else:
                self.log(f"kafkalab: class-data archive {archive.path} is unusable ({problem}); rebuilding it")
            problem = self._build_archive(runtime, java, archive)
        return [*args, *archive.jvm_args()] if problem is None else args

    def _archive(self, runtime: Runtime, java: str) -> ClassArchive:
        flags = START_FLAGS if "jvm-flags" in self.speedups else []
        return ClassArchive.for_runtime(runtime, java, [*JVM_OPTS, *flags])

    def _build_archive(self, runtime: Runtime, java: str, archive: ClassArchive) -> str | None:
        """One combined node on this cluster's (free) ports, started with -XX:ArchiveClassesAtExit and
        stopped cleanly once ready: the JVM writes the classes it loaded as it exits. None on success."""
        started = time.monotonic()
        archive.path.parent.mkdir(parents=True, exist_ok=True)
        dumped = archive.path.with_name(f".{archive.path.stem}.{os.getpid()}.jsa")
        run = Cluster(
            1, port_base=self.topology.port_base, state_dir=self.state_dir / "archive-run",
            die_with_parent=True, speedups=self.speedups & {"jvm-flags"}, log=lambda _: None,
        )  # fmt: skip
        run._node_jvm_args = [f"-XX:ArchiveClassesAtExit={dumped}"]
        try:
            run.up(timeout=ARCHIVE_RUN_TIMEOUT_S)
            for n in run.nodes:
                n.signal(signal.SIGTERM)
            for n in run.nodes:
                if not n.wait_exit(ARCHIVE_RUN_TIMEOUT_S):
                    raise NodeFailed(f"the archive run's node did not exit within {ARCHIVE_RUN_TIMEOUT_S:.0f}s")
            if not dumped.exists():  # this JVM cannot dump one (no base archive, say): do not retry
                archive.failed_marker.write_text(run.nodes[0].log_tail(20) + "\n")
                raise NodeFailed(f"the JVM wrote no archive; see {archive.failed_marker}")
            archive.install(dumped)
        except (KafkalabError, OSError, ValueError, subprocess.SubprocessError) as e:
            self.log(f"kafkalab: could not build the class-data archive, starting without it: {e}")
            return str(e)
        finally:
            run.down()
            dumped.unlink(missing_ok=True)
        self.timings["class_archive_built"] = time.monotonic() - started
        self.log(f"kafkalab: class-data archive built in {self.timings['class_archive_built']:.1f}s")
        return None

    def _check_archive_use(self, runtime: Runtime, java: str, jvm_args: list[str]) -> None:
        """A JVM that cannot use the archive says so on stdout and carries on without it; then the
        archive goes, and the next `up` builds a new one."""
        if not any(a.startswith("-XX:SharedArchiveFile=") for a in jvm_args):
            return
        for n in self.nodes:
            complaints = [line for line in _read(n.stdout_path).splitlines() if "[cds" in line]
            if complaints:
                archive = self._archive(runtime, java)
                self.log(f"kafkalab: node {n.spec.node_id} could not use the class-data archive "
                         f"({complaints[0].strip()}); removed it, the next `up` builds a new one")  # fmt: skip
                archive.discard()
                return

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
        if self.registry is not None:
            self.registry.kill()
        for n in self.nodes:
            n.wait_exit(10)

    def down(self) -> None:
        """Stop every node at once and remove the cluster's data. Nothing running is fine."""
        data = self._recorded()
        if data is not None:
            recorded = {r["node_id"]: r["pid"] for r in data["nodes"]}
            for n in self.nodes:
                n.pid = n.pid or recorded.get(n.spec.node_id)
            if self.registry is None and data.get("registry"):  # started by another process
                self.registry = Registry.from_json(data["registry"])
        had_run = [n for n in self.nodes if n.pid]
        ports = [p for n in had_run for p in n.spec.ports] + ([self.registry.port] if self.registry else [])
        self._kill_all()
        left = [n.spec.node_id for n in self.nodes if n.alive]
        if left:
            raise KafkalabError(f"nodes {left} did not exit after SIGKILL; see `kafkalab status`")
        # A reaped JVM's listening sockets can outlive it for a moment: wait, so that an `up` right
        # after this one finds its ports free (bounded: a port someone else took stays theirs).
        deadline = time.monotonic() + 5
        while any(not _bindable(p) for p in ports) and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(self.state_dir, ignore_errors=True)

    # -- schema registry -----------------------------------------------------------------
    @property
    def registry_url(self) -> str | None:
        """The running schema registry's URL for confluent-kafka's SchemaRegistryClient, else None."""
        self._sync_registry()
        return self.registry.url if self.registry is not None and self.registry.alive else None

    def _sync_registry(self) -> None:
        data = self._recorded()
        recorded = data.get("registry") if data else None
        if recorded and (self.registry is None or not self.registry.alive):
            self.registry = Registry.from_json(recorded)

    def start_registry(self, timeout: float = 90.0, die_with_parent: bool | None = None) -> str:
        """Start the schema registry beside a running cluster (assembling it first if `kafkalab fetch`
        has not), wait until it is healthy, record it in the state file; its URL. One already running
        is kept. `down()` stops it with the nodes; `die_with_parent` defaults to the cluster's."""
        url = self.registry_url
        if url is not None:
            return url
        if not self.is_up():
            raise ClusterStateError(f"the cluster in {self.state_dir} is not running: `kafkalab up` first")
        port = self.topology.registry_port
        if not _bindable(port):
            raise PortBusy(port, "Another schema registry may be running: stop it, or choose another port base.")
        app, java = fetch_registry(self.log), java_executable()
        registry = Registry(port, self.state_dir / "registry")
        registry.start(app, java, self.die_with_parent if die_with_parent is None else die_with_parent)
        try:
            took = registry.wait_ready(timeout)
        except BaseException:
            registry.kill()
            raise
        self.registry = registry
        self._save(ready=True)
        self.log(f"kafkalab: schema registry up in {took:.1f}s, pid {registry.pid}, at {registry.url}")
        return registry.url

    def stop_registry(self) -> None:
        """Stop the schema registry (its schemas are gone with it); the cluster keeps running."""
        self._sync_registry()
        if self.registry is None:
            return
        port = self.registry.port
        self.registry.kill()
        self.registry = None
        if self._recorded() is not None:
            self._save(ready=True)
        deadline = time.monotonic() + 5
        while not _bindable(port) and time.monotonic() < deadline:
            time.sleep(0.05)

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
        runtime, java = resolved(), java_executable()
        n.start(runtime, java, self.die_with_parent, self._jvm_args(runtime, java))
        self._save(ready=True)
        deadline = time.monotonic() + timeout
        while not _listening(n.spec.ports[0]) or (n.spec.is_broker and node_id not in self.registered_brokers()):
            self._fail_if_dead([n])
            self._check_deadline(deadline, [n], "to rejoin the cluster")
            time.sleep(0.2)

    def start_together(
        self, node_ids: Iterable[int], timeout: float = 60.0, on_registered: Callable[[int], None] | None = None
    ) -> None:
        """Restart several stopped or killed nodes at once (their JVMs start side by side, not one after
        the other), and wait until every one is registered again; `on_registered(node_id)` is called as
        each one is."""
        nodes = [self.node(i) for i in node_ids]
        for n in nodes:
            if n.alive:
                raise ClusterStateError(f"node {n.spec.node_id} is already {n.state()}")
            busy = [p for p in n.spec.ports if _listening(p)]
            if busy:
                raise ClusterStateError(f"node {n.spec.node_id} is not ours to start: something answers on {busy}")
        runtime, java = resolved(), java_executable()
        for n in nodes:
            n.start(runtime, java, self.die_with_parent, self._jvm_args(runtime, java))
        self._save(ready=True)
        deadline, waiting = time.monotonic() + timeout, list(nodes)
        while waiting:
            self._fail_if_dead(waiting)
            self._check_deadline(deadline, waiting, "to rejoin the cluster")
            registered = self.registered_brokers() if any(n.spec.is_broker for n in waiting) else set()
            for n in list(waiting):
                if _listening(n.spec.ports[0]) and (not n.spec.is_broker or n.spec.node_id in registered):
                    waiting.remove(n)
                    if on_registered is not None:
                        on_registered(n.spec.node_id)
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
        config = self.client_config()
        if self.tls_flaw:  # kafkalab broke the certificate on purpose: its own admin client looks past it
            config["enable.ssl.certificate.verification"] = "false"
        return Admin(",".join(f"127.0.0.1:{n.spec.client_port}" for n in live), config)

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
        admin.await_healthy(None, timeout=max(0.0, deadline - time.monotonic()))


def _read_state(path: Path) -> dict | None:
    """A cluster's state file, parsed; None when there is none."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise ClusterStateError(f"{path} is damaged ({exc}): stop its nodes by hand, then remove it") from exc


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Kafka does: TIME_WAIT is fine
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
