"""Layer 2: a schema registry JVM next to the cluster: Apicurio Registry, built from Maven Central.

Maven Central serves Apicurio Registry as a library jar of a Quarkus application, not as a program.
`fetch()` assembles it once with Quarkus's Maven plugin from the wrapper project in registry_app/ (a
pom and a few lines of glue) and keeps the result under the kafkalab home, keyed by that project's
files; from then on nothing here runs Maven. `Registry` is one running registry: a plain JVM in its
own session, awaited on its health endpoint, identified by its home folder on the command line so
that a recorded pid is never mistaken for another process.

Its storage is the registry's in-memory one (an in-memory H2 database): the registry's Kafka-backed
storage of that version ("kafkasql") is a separate artifact that Maven Central does not serve, so its
schemas live as long as its JVM, like the cluster's data lives as long as `up`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .errors import NodeFailed, PortBusy, RuntimeMissing
from .node import _die_with_parent, process_state
from .runtime import home, java_executable, maven_executable

APICURIO_VERSION = "2.4.2.Final"
PROJECT = Path(__file__).resolve().parent / "registry_app"
# The Confluent-compatible API, the one confluent-kafka's SchemaRegistryClient speaks.
CCOMPAT_PATH = "/apis/ccompat/v7"
HEALTH_PATH = "/health/ready"
BUILD_TIMEOUT_S = 1200
# One JVM beside four Kafka JVMs on two cores: a small heap, the serial collector, C1 only (see
# node.py). The registry's own default keeps 20 database connections open; one is plenty here.
JVM_OPTS = [
    "-Xms32m",
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
]
SETTINGS = {
    "quarkus.http.host": "127.0.0.1",
    "quarkus.datasource.jdbc.min-size": "1",
    "quarkus.datasource.jdbc.initial-size": "1",
}


def app_dir() -> Path:
    """Where the assembled registry of this wrapper project lives (or will)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in PROJECT.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(PROJECT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return home() / "registry" / f"apicurio-{APICURIO_VERSION}-{digest.hexdigest()[:12]}"


def fetch(log=print) -> Path:
    """Build the registry application once (Maven downloads its jars the first time); instant after."""
    target = app_dir()
    if (target / ".complete").exists():
        return target
    java_executable()
    mvn = maven_executable()
    log(f"kafkalab: assembling Apicurio Registry {APICURIO_VERSION} from Maven Central into {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="build-", dir=target.parent))
    try:
        shutil.copytree(PROJECT, staging / "project")
        cmd = [
            mvn, "-B", "-f", str(staging / "project" / "pom.xml"), "package", "-DskipTests",
            *shlex.split(os.environ.get("KAFKALAB_MAVEN_ARGS", "")),  # e.g. "-s mirror-settings.xml"
        ]  # fmt: skip
        with open(staging / "build.log", "w") as out:
            try:
                code = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT_S).returncode
            except subprocess.TimeoutExpired:
                code = None
        if code != 0:
            tail = "\n".join((staging / "build.log").read_text(errors="replace").splitlines()[-30:])
            raise RuntimeMissing(
                f"mvn could not assemble the schema registry (exit {code}); check the network or the "
                f"mirror in ~/.m2/settings.xml, then run `kafkalab fetch` again.\n--- mvn output (tail) ---\n{tail}"
            )
        shutil.rmtree(target, ignore_errors=True)
        (staging / "project" / "target" / "quarkus-app").rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    (target / ".complete").write_text(APICURIO_VERSION + "\n")
    log(f"kafkalab: schema registry ready ({target})")
    return target


def resolved() -> Path:
    target = app_dir()
    if not (target / ".complete").exists():
        raise RuntimeMissing(f"the schema registry is not assembled in {target}: run `kafkalab fetch` first")
    return target


class Registry:
    """One schema registry JVM on 127.0.0.1:port, its logs in `home`."""

    def __init__(self, port: int, home: Path, pid: int | None = None) -> None:
        self.port = port
        self.home = Path(home)
        self.pid = pid
        self._proc: subprocess.Popen | None = None
        self._app: Path | None = None  # set by launch(), for restart()
        self._java = ""
        self._die_with_parent = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """What to give confluent-kafka's SchemaRegistryClient as its "url"."""
        return self.base_url + CCOMPAT_PATH

    @property
    def stdout_path(self) -> Path:
        return self.home / "registry.log"

    @classmethod
    def launch(
        cls,
        port: int,
        home: Path,
        timeout: float = 90.0,
        die_with_parent: bool = True,
        log: Callable[[str], None] = print,
    ) -> Registry:
        """A registry of its own on 127.0.0.1:port, not tied to a cluster, ready when this returns
        (assembled first if `kafkalab fetch` has not done it). Stop it with `stop()`, or use it as a
        context manager. Its logs and identity live in `home`."""
        if _listening(port):
            raise PortBusy(port, "Another schema registry may be running there: stop it, or choose another port.")
        registry = cls(port, home)
        registry._java, registry._app, registry._die_with_parent = java_executable(), fetch(log), die_with_parent
        registry.start(registry._app, registry._java, die_with_parent)
        try:
            registry.wait_ready(timeout)
        except BaseException:
            registry.kill()
            raise
        return registry

    def stop(self) -> None:
        """Kill the registry and wait until its port is closed: its in-memory schemas are gone."""
        self.kill()
        deadline = time.monotonic() + 10
        while _listening(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self, timeout: float = 90.0) -> float:
        """Stop and start again on the same port and home (a registry from `launch`); the seconds
        until ready. The in-memory storage starts empty, as after any restart of this registry."""
        if self._app is None:
            raise NodeFailed("restart() needs a registry started by Registry.launch()")
        self.stop()
        self.start(self._app, self._java, self._die_with_parent)
        try:
            return self.wait_ready(timeout)
        except BaseException:
            self.kill()
            raise

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, app: Path, java: str, die_with_parent: bool = False) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        settings = {**SETTINGS, "quarkus.http.port": str(self.port)}
        cmd = [
            java, *JVM_OPTS, *(f"-D{k}={v}" for k, v in settings.items()),
            f"-Dkafkalab.registry.home={self.home}",  # who this JVM is, for _pid_is_ours
            "-jar", str(app / "quarkus-run.jar"),
        ]  # fmt: skip
        with open(self.stdout_path, "ab") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=self.home,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent if die_with_parent else None,
            )
        self.pid = proc.pid
        self._proc = proc

    def wait_ready(self, timeout: float = 90.0) -> float:
        """Poll the health endpoint until the registry says UP; the seconds it took. Bounded."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        while True:
            if not self.alive:
                raise NodeFailed(f"the schema registry exited during start-up.\n{self.log_tail()}")
            if self.healthy():
                return time.monotonic() - t0
            if time.monotonic() > deadline:
                raise NodeFailed(f"the schema registry was not ready within {timeout:.0f}s.\n{self.log_tail()}")
            time.sleep(0.1)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + HEALTH_PATH, timeout=2) as resp:
                return resp.status == 200 and json.loads(resp.read()).get("status") == "UP"
        except (OSError, ValueError):  # refused, reset, timed out, 503 while starting, half a body
            return False

    def state(self) -> str:
        return process_state(self.pid, self._proc, self._pid_is_ours)

    def _pid_is_ours(self) -> bool:
        try:
            cmdline = Path(f"/proc/{self.pid}/cmdline").read_bytes()
        except OSError:
            return False
        return not cmdline or f"-Dkafkalab.registry.home={self.home}".encode() in cmdline

    @property
    def alive(self) -> bool:
        return self.state() != "dead"

    def kill(self, timeout: float = 10.0) -> None:
        """SIGKILL and wait for the exit: its schemas are in memory, there is nothing to flush."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while self.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.alive:
            raise NodeFailed(f"the schema registry (pid {self.pid}) did not exit after SIGKILL")

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def log_tail(self, lines: int = 40) -> str:
        if not self.stdout_path.exists():
            return f"(the schema registry wrote no log in {self.home})"
        text = self.stdout_path.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {self.stdout_path} (last {len(text)} lines) ---\n" + "\n".join(text)

    def to_json(self) -> dict:
        return {"port": self.port, "home": str(self.home), "pid": self.pid, "url": self.url}

    @classmethod
    def from_json(cls, data: dict) -> Registry:
        return cls(data["port"], Path(data["home"]), data.get("pid"))


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
