"""No JVM outlives a test run: not after Ctrl-C, not even after the pytest process is killed."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kafkalab import pid_alive

INNER_TEST = """
import json, os, time
def test_holds_the_cluster(kafka_cluster):
    pids = [n.pid for n in kafka_cluster.nodes]
    os.makedirs(os.path.dirname(os.environ["MARKER"]), exist_ok=True)
    with open(os.environ["MARKER"] + ".tmp", "w") as f:
        json.dump(pids, f)
    os.replace(os.environ["MARKER"] + ".tmp", os.environ["MARKER"])
    time.sleep(120)
"""


def _run_inner(tmp_path: Path, port_base: int) -> tuple[subprocess.Popen, list[int]]:
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    marker = tmp_path / "out" / "pids.json"
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env.update(MARKER=str(marker), KAFKALAB_BROKERS="1", KAFKALAB_PORT_BASE=str(port_base))
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         "-c", os.devnull, str(tmp_path / "test_inner.py")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"inner run never reached its test:\n{proc.communicate()[0]}")
        time.sleep(0.2)
    pids = json.loads(marker.read_text())
    assert pids and all(pid_alive(p) for p in pids)
    return proc, pids


def _assert_gone(pids: list[int], within: float) -> None:
    deadline = time.monotonic() + within
    while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in pids if pid_alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, f"JVMs {left} outlived the test run"


def test_sigint_tears_the_cluster_down(tmp_path):
    proc, pids = _run_inner(tmp_path, 25092)
    proc.send_signal(signal.SIGINT)
    out = proc.communicate(timeout=60)[0]
    assert "KeyboardInterrupt" in out
    _assert_gone(pids, within=5)


def test_sigkill_of_pytest_takes_the_jvms_with_it(tmp_path):
    proc, pids = _run_inner(tmp_path, 25092)
    proc.kill()
    proc.communicate(timeout=30)
    _assert_gone(pids, within=10)
