"""Layer 1: find Java and Maven, and resolve the Apache Kafka jars from Maven Central.

The jars land in a cache outside the repository. A runtime is complete once its marker file
exists; from then on nothing here touches the network.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import RuntimeMissing

KAFKA_VERSION = "4.3.1"
# Kafka 4.3 logs through SLF4J 1.7 onto Log4j 2; the binding is never a transitive dependency.
LOG4J_VERSION = "2.25.4"
SCALA_SUFFIX = "2.13"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
MIN_JAVA = 17

# Each runtime part is a Maven dependency set copied into a folder of its own.
PARTS: dict[str, list[tuple[str, str, str]]] = {
    "broker": [
        ("org.apache.kafka", f"kafka_{SCALA_SUFFIX}", KAFKA_VERSION),
        ("org.apache.logging.log4j", "log4j-slf4j-impl", LOG4J_VERSION),
    ],
    "tools": [
        ("org.apache.kafka", "kafka-tools", KAFKA_VERSION),
        ("org.apache.logging.log4j", "log4j-slf4j-impl", LOG4J_VERSION),
    ],
    "clients": [("org.apache.kafka", "kafka-clients", KAFKA_VERSION)],
}


def home() -> Path:
    """Root of everything kafkalab keeps on disk (override with KAFKALAB_HOME)."""
    env = os.environ.get("KAFKALAB_HOME")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "kafkalab"


@dataclass(frozen=True)
class Runtime:
    """A resolved Kafka runtime: one folder of jars per part."""

    root: Path
    version: str = KAFKA_VERSION

    def classpath(self, part: str = "broker") -> str:
        # The JVM expands "dir/*" itself; no shell is involved.
        return str(self.root / part / "*")

    @property
    def complete(self) -> bool:
        return (self.root / ".complete").exists()


def runtime_dir(version: str = KAFKA_VERSION) -> Path:
    return home() / "runtime" / version


def java_executable() -> str:
    """The `java` to run brokers with: $JAVA_HOME/bin/java, else the one on PATH, version >= 17."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise RuntimeMissing(
            "no `java` found. Kafka 4.x needs Java 17 or newer: install a JDK or JRE "
            "(on Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME."
        )
    out = subprocess.run([java, "-version"], check=False, capture_output=True, text=True, timeout=30)
    _JAVA_VERSIONS[java] = out.stderr + out.stdout
    major = _java_major(out.stderr + out.stdout)
    if major is None or major < MIN_JAVA:
        raise RuntimeMissing(
            f"{java} is Java {major or 'of unknown version'}; Kafka 4.x brokers need Java "
            f"{MIN_JAVA} or newer. Install a newer JDK and put it first on PATH or set JAVA_HOME."
        )
    return java


_JAVA_VERSIONS: dict[str, str] = {}  # `java -version` output, per executable checked


def _java_major(version_output: str) -> int | None:
    m = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not m:
        return None
    first = int(m.group(1))
    return int(m.group(2) or 0) if first == 1 else first  # "1.8" means Java 8


def maven_executable() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise RuntimeMissing(
            "no `mvn` found. kafkalab resolves the Kafka jars from Maven Central with Maven: "
            "install it (on Debian: apt-get install maven) and run `kafkalab fetch` again."
        )
    return mvn


def _pom(part: str) -> str:
    deps = "\n".join(
        f"<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>"
        for g, a, v in PARTS[part]
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0">'
        "<modelVersion>4.0.0</modelVersion><groupId>kafkalab</groupId>"
        f"<artifactId>runtime-{part}</artifactId><version>{KAFKA_VERSION}</version>"
        f"<packaging>pom</packaging><dependencies>{deps}</dependencies></project>\n"
    )


def fetch(version: str = KAFKA_VERSION, log=print) -> Runtime:
    """Resolve the broker, tools and clients jars; instant and offline once complete."""
    if version != KAFKA_VERSION:
        raise RuntimeMissing(f"this kafkalab pins Apache Kafka {KAFKA_VERSION}, not {version}")
    rt = Runtime(runtime_dir(version), version)
    if rt.complete:
        return rt
    java_executable()
    mvn = maven_executable()
    log(f"kafkalab: resolving Apache Kafka {version} from Maven Central into {rt.root}")
    staging = Path(tempfile.mkdtemp(prefix="fetch-", dir=_ensure(rt.root.parent)))
    try:
        for part in PARTS:
            log(f"kafkalab:   {part} jars ...")
            _resolve_part(mvn, part, staging, log)
        shutil.rmtree(rt.root, ignore_errors=True)
        staging.rename(rt.root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    (rt.root / ".complete").write_text(version + "\n")
    jars = sum(1 for _ in rt.root.glob("*/*.jar"))
    log(f"kafkalab: runtime ready ({jars} jars)")
    return rt


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _resolve_part(mvn: str, part: str, staging: Path, log) -> None:
    work = _ensure(staging / f".pom-{part}")
    (work / "pom.xml").write_text(_pom(part))
    cmd = [
        mvn, "-B", "-f", str(work / "pom.xml"),
        f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        "-DincludeScope=runtime", f"-DoutputDirectory={staging / part}",
        *shlex.split(os.environ.get("KAFKALAB_MAVEN_ARGS", "")),  # e.g. "-s mirror-settings.xml"
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    downloads = 0
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip())
        if "Downloaded from" in line and ".jar " in line:
            downloads += 1
            jar = re.search(r"/([^/\s]+\.jar) ", line)
            if downloads % 20 == 1 and jar:  # a heartbeat, not a wall of names
                log(f"kafkalab:     downloading ... {jar.group(1)} ({downloads} jars so far)")
    if downloads:
        log(f"kafkalab:     {downloads} jars downloaded")
    if proc.wait(timeout=900) != 0:
        text = "\n".join(lines[-25:])
        if re.search(r"(Could not transfer|Could not resolve|UnknownHost|Connection refused|timed out)", text):
            raise RuntimeMissing(
                "Maven could not reach Maven Central to download the Kafka jars. Check the "
                "network or the proxy/mirror in ~/.m2/settings.xml, then run `kafkalab fetch` "
                f"again.\n--- mvn output (tail) ---\n{text}"
            )
        raise RuntimeMissing(f"mvn failed resolving the {part} jars:\n{text}")
    shutil.rmtree(work)


def resolved(version: str = KAFKA_VERSION) -> Runtime:
    """The cached runtime, or a clear error telling the reader to fetch it."""
    rt = Runtime(runtime_dir(version), version)
    if not rt.complete:
        raise RuntimeMissing(
            f"the Apache Kafka {version} runtime is not in {rt.root}: run `kafkalab fetch` "
            "first (it needs Java 17+, Maven and access to Maven Central once)."
        )
    return rt


# -- start-up caches ---------------------------------------------------------------------------
# Two things every `up` would otherwise redo, kept beside the jars they belong to (so a new runtime
# starts without them): a class-data-sharing archive (AppCDS) of the classes a node loads while it
# starts, and the storage tool's output per format. Each is keyed by everything that shapes it and
# checked before use; a missing, stale or damaged one is rebuilt, never a reason for a failed start.
ARCHIVE_MAGIC = b"\xa8\xab\x0b\xf0"  # 0xf00baba8 little-endian: a dynamic CDS archive
TEMPLATE_FILES = ("bootstrap.checkpoint", "meta.properties")  # all a static-quorum format writes


def startup_cache(rt: Runtime) -> Path:
    return rt.root / "startup"


def _jars_digest(rt: Runtime) -> str:
    """The broker classpath as the launcher expands "broker/*" (readdir order), with sizes and times."""
    h = hashlib.sha256(f"{rt.version}\n{rt.root}\n".encode())
    folder = rt.root / "broker"
    for name in os.listdir(folder):
        st = (folder / name).stat()
        h.update(f"{name} {st.st_size} {st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ClassArchive:
    """An AppCDS archive for one runtime, one Java and one set of JVM flags.

    JDK 17 writes it when a JVM started with -XX:ArchiveClassesAtExit exits; a JVM started with
    -XX:SharedArchiveFile maps those classes instead of reading, parsing and verifying them again.
    """

    path: Path
    java: str = field(default="java", compare=False)
    jvm_opts: tuple[str, ...] = field(default=(), compare=False)
    classpath: str = field(default="", compare=False)

    @classmethod
    def for_runtime(cls, rt: Runtime, java: str, jvm_opts: list[str]) -> ClassArchive:
        if java not in _JAVA_VERSIONS:
            java_executable()
        java_id = [os.path.realpath(java), _JAVA_VERSIONS.get(java, "")]
        path = startup_cache(rt) / f"classes-{_key(_jars_digest(rt), java_id, jvm_opts)}.jsa"
        return cls(path, java, tuple(jvm_opts), rt.classpath("broker"))

    @property
    def manifest(self) -> Path:
        return self.path.with_suffix(".json")

    @property
    def failed_marker(self) -> Path:
        return self.path.with_suffix(".failed")

    def problem(self) -> str | None:
        """None if the archive can be used, else why not ("missing" when it was never built)."""
        if not self.path.exists():
            return "missing"
        try:
            recorded = json.loads(self.manifest.read_text())
            st = self.path.stat()
            with open(self.path, "rb") as f:
                magic = f.read(4)
        except (OSError, ValueError) as e:
            return f"unreadable ({e.__class__.__name__}: {e})"
        if magic != ARCHIVE_MAGIC:
            return "not a CDS archive"
        if (st.st_size, st.st_mtime_ns) != (recorded.get("size"), recorded.get("mtime_ns")):
            return f"changed since it was built ({st.st_size} bytes, recorded {recorded.get('size')})"
        # A JVM maps the archive without checking it (-XX:+VerifySharedSpaces would, in every JVM:
        # 0.3 s a start on two busy cores); one checksum here costs tens of milliseconds.
        if _crc32(self.path) != recorded.get("crc32"):
            return "changed since it was built (checksum differs)"
        return None

    def jvm_args(self) -> list[str]:
        # -Xshare:auto (the default): a JVM that cannot use the archive (another Java, other jars)
        # says so on stdout and loads the classes from the jars.
        return [f"-XX:SharedArchiveFile={self.path}"]

    def install(self, dumped: Path) -> None:
        """Check a freshly dumped archive, move it into place and record what it looked like."""
        with open(dumped, "rb") as f:
            if f.read(4) != ARCHIVE_MAGIC:
                raise ValueError(f"{dumped} is not a CDS archive")
        # A dump cut short (a full disk) can look whole from outside, and a JVM that maps it dies of
        # SIGBUS: have one JVM map it and verify its checksums, refusing to run without it.
        crash_log = dumped.with_suffix(".hs_err")
        check = subprocess.run(
            [
                self.java, *self.jvm_opts, "-Xshare:on", "-XX:+VerifySharedSpaces", f"-XX:SharedArchiveFile={dumped}",
                f"-XX:ErrorFile={crash_log}", "-XX:-CreateCoredumpOnCrash", "-cp", self.classpath, "-version",
            ],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        crash_log.unlink(missing_ok=True)
        if check.returncode != 0:
            said = (check.stdout + check.stderr).strip().splitlines()[:1]
            raise ValueError(f"a JVM could not map the new archive (exit {check.returncode}): {' '.join(said)}")
        st, crc = dumped.stat(), _crc32(dumped)  # before the rename: another `up` may install its own
        dumped.replace(self.path)
        java = [os.path.realpath(self.java), _JAVA_VERSIONS.get(self.java, "")]
        record = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "crc32": crc, "java": java}
        tmp = self.manifest.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record) + "\n")
        tmp.replace(self.manifest)
        self.failed_marker.unlink(missing_ok=True)
        self._discard_superseded(java)

    def _discard_superseded(self, java: list[str]) -> None:
        """Archives made by an earlier build of the same Java (an update installed since) can never
        be used again: 50 MB each, they go. Other Javas' and other flags' archives stay."""
        for manifest in self.path.parent.glob("classes-*.json"):
            if manifest == self.manifest:
                continue
            try:
                their_java = json.loads(manifest.read_text()).get("java") or ["", ""]
            except (OSError, ValueError):
                continue
            if their_java[0] == java[0] and their_java[1] != java[1]:
                ClassArchive(manifest.with_suffix(".jsa")).discard()

    def discard(self) -> None:
        for p in (self.path, self.manifest):
            p.unlink(missing_ok=True)


@dataclass(frozen=True)
class StorageTemplate:
    """What the storage tool writes for one kind of node, kept once and copied per node.

    Formatting a node with a static controller quorum writes two files per log directory:
    bootstrap.checkpoint (the feature levels the cluster starts with: the same for every node of
    a format) and meta.properties (cluster.id, node.id and directory.id: rewritten per copy).
    """

    path: Path

    @classmethod
    def for_format(
        cls, rt: Runtime, role: str, format_args: list[str], overrides: dict[str, object]
    ) -> StorageTemplate:
        return cls(startup_cache(rt) / f"storage-{_key(_jars_digest(rt), role, format_args, overrides)}")

    def problem(self) -> str | None:
        if not self.path.exists():
            return "missing"
        try:
            recorded = json.loads((self.path / "manifest.json").read_text())
            present = sorted(p.name for p in self.path.iterdir())
            if present != sorted([*TEMPLATE_FILES, "manifest.json"]):
                return f"holds {present}"
            for name in TEMPLATE_FILES:
                if _sha256(self.path / name) != recorded.get(name):
                    return f"{name} changed since it was formatted"
            meta = _properties((self.path / "meta.properties").read_text())
        except (OSError, ValueError) as e:
            return f"unreadable ({e.__class__.__name__}: {e})"
        if not {"version", "cluster.id", "node.id"} <= meta.keys():
            return "meta.properties lacks version, cluster.id or node.id"
        return None

    def record(self, formatted: Path) -> bool:
        """Keep a freshly formatted log directory as the template; False if it holds files this
        template does not know how to rewrite (a node-specific format: then every node is formatted)."""
        if sorted(p.name for p in formatted.iterdir()) != sorted(TEMPLATE_FILES):
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{self.path.name}-", dir=self.path.parent))
        staging.chmod(0o755)
        try:
            for name in TEMPLATE_FILES:
                shutil.copyfile(formatted / name, staging / name)
            sums = {name: _sha256(staging / name) for name in TEMPLATE_FILES}
            (staging / "manifest.json").write_text(json.dumps(sums) + "\n")
            shutil.rmtree(self.path, ignore_errors=True)
            with contextlib.suppress(OSError):  # another `up` recorded the same template a moment ago
                staging.rename(self.path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return True

    def copy_to(self, data_dir: Path, node_id: int, cluster_id: str) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path / "bootstrap.checkpoint", data_dir / "bootstrap.checkpoint")
        fresh = {"cluster.id": cluster_id, "node.id": str(node_id), "directory.id": new_uuid()}
        lines = []
        for line in (self.path / "meta.properties").read_text().splitlines():
            key = line.split("=", 1)[0]
            lines.append(f"{key}={fresh.pop(key)}" if key in fresh and "=" in line else line)
        lines += [f"{k}={v}" for k, v in fresh.items()]
        (data_dir / "meta.properties").write_text("\n".join(lines) + "\n")


def new_uuid() -> str:
    """A Kafka Uuid string: 16 random bytes, URL-safe base64 without padding, never starting with
    "-" (Kafka's own Uuid.randomUuid() rules that out, because a command line would read an option)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
