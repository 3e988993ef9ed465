"""Resolving the runtime, and the errors a reader sees when Java or Maven is missing."""

import os
import subprocess
import sys
import time

import pytest

from kafkalab import RuntimeMissing, runtime


def test_java_version_parsing():
    assert runtime._java_major('openjdk version "17.0.15" 2025-04-15') == 17
    assert runtime._java_major('java version "1.8.0_392"') == 8
    assert runtime._java_major('openjdk version "25" 2025-09-16') == 25
    assert runtime._java_major("garbage") is None


def test_missing_java_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeMissing, match="Java 17 or newer"):
        runtime.java_executable()


def test_old_java_is_refused(monkeypatch, tmp_path):
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    fake.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(RuntimeMissing, match="Java 11; Kafka 4.x brokers need Java 17"):
        runtime.java_executable()


def test_missing_maven_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("KAFKALAB_HOME", str(tmp_path))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to(os.path.realpath(runtime.java_executable()))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(bin_dir))  # java yes, mvn no
    with pytest.raises(RuntimeMissing, match="no `mvn` found.*apt-get install maven"):
        runtime.fetch(log=lambda _: None)


def test_unreachable_maven_central_is_named(monkeypatch, tmp_path):
    settings = tmp_path / "settings.xml"
    settings.write_text(
        "<settings><mirrors><mirror><id>nowhere</id><mirrorOf>*</mirrorOf>"
        "<url>http://127.0.0.1:9/maven2</url></mirror></mirrors></settings>"
    )
    monkeypatch.setenv("KAFKALAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAFKALAB_MAVEN_ARGS", f"-s {settings} -Dmaven.repo.local={tmp_path / 'repo'}")
    with pytest.raises(RuntimeMissing, match="could not reach Maven Central"):
        runtime.fetch(log=lambda _: None)
    assert not runtime.runtime_dir().exists(), "a failed fetch must not leave a half runtime behind"


def test_second_fetch_is_instant_and_offline(monkeypatch):
    runtime.fetch(log=lambda _: None)  # the suite's own runtime: already complete
    monkeypatch.setenv("PATH", "/nonexistent")  # neither java nor mvn reachable
    started = time.monotonic()
    rt = runtime.fetch(log=lambda _: None)
    assert time.monotonic() - started < 1
    jars = {p.name for p in (rt.root / "broker").glob("*.jar")}
    assert f"kafka_2.13-{runtime.KAFKA_VERSION}.jar" in jars
    assert any(j.startswith("log4j-slf4j-impl-") for j in jars), "without the binding the broker logs nothing"
    assert any(j.startswith("kafka-tools-") for j in os.listdir(rt.root / "tools"))
    assert any(j.startswith("kafka-clients-") for j in os.listdir(rt.root / "clients"))


def test_cli_fetch_reports_a_missing_runtime_tool_cleanly(tmp_path):
    env = {**os.environ, "KAFKALAB_HOME": str(tmp_path), "PATH": str(tmp_path), "JAVA_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "kafkalab", "fetch"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 1
    assert out.stderr.startswith("kafkalab: error: no `java` found")
    assert "Traceback" not in out.stderr
