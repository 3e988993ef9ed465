"""Layer 1: find Java and Maven, and resolve the Apache Kafka jars from Maven Central.

The jars land in a cache outside the repository. A runtime is complete once its marker file
exists; from then on nothing here touches the network.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
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
    major = _java_major(out.stderr + out.stdout)
    if major is None or major < MIN_JAVA:
        raise RuntimeMissing(
            f"{java} is Java {major or 'of unknown version'}; Kafka 4.x brokers need Java "
            f"{MIN_JAVA} or newer. Install a newer JDK and put it first on PATH or set JAVA_HOME."
        )
    return java


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
