"""Fault controls on the real session cluster: kill, restart, pause, resume, and the reset helper."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kafkalab import Cluster
from kafkalab.lab import wait_until

pytestmark = pytest.mark.faults


@pytest.fixture
def cluster(kafka_cluster):
    """The session cluster, healed after each test even when the test fails."""
    yield kafka_cluster
    kafka_cluster.wait_healthy(timeout=90)


def test_killed_leader_is_replaced_from_the_isr_and_rejoins_after_restart(cluster, kafka_topic):
    before = cluster.partition(kafka_topic)
    assert before.leader is not None and sorted(before.isr) == sorted(before.replicas)
    old = before.leader

    started = time.monotonic()
    cluster.kill(old)
    new = wait_until(
        lambda: (cluster.leader(kafka_topic) or old) != old and cluster.leader(kafka_topic), 15, "new leader"
    )
    failover = time.monotonic() - started
    after = cluster.partition(kafka_topic)
    assert new in before.isr and new != old
    assert old not in after.isr and len(after.isr) == len(before.isr) - 1
    assert failover < 10, f"failover took {failover:.1f}s"
    assert cluster.node(old).state() == "dead"

    cluster.start(old)
    wait_until(lambda: old in cluster.isr(kafka_topic), 30, f"node {old} back in the ISR")


def test_pause_and_resume_show_in_status(cluster):
    broker = cluster.brokers[-1].spec.node_id
    cluster.pause(broker)
    states = {s.node_id: s.state for s in cluster.status()}
    assert states[broker] == "paused"
    assert all(state == "running" for node, state in states.items() if node != broker)
    cluster.resume(broker)
    assert {s.node_id: s.state for s in cluster.status()}[broker] == "running"


def test_paused_broker_drops_out_of_the_isr_and_wait_healthy_restores_it(cluster, kafka_topic):
    follower = next(r for r in cluster.partition(kafka_topic).replicas if r != cluster.leader(kafka_topic))
    cluster.pause(follower)
    wait_until(lambda: follower not in cluster.isr(kafka_topic), 20, "paused follower leaves the ISR")
    cluster.wait_healthy(timeout=60)
    assert cluster.node(follower).state() == "running"
    assert follower in cluster.isr(kafka_topic)


def test_cli_drives_the_same_cluster(cluster, kafka_topic):
    def cli(*args):
        out = subprocess.run(
            [sys.executable, "-m", "kafkalab", "--state-dir", str(cluster.state_dir), *args],
            capture_output=True, text=True, timeout=60, env=os.environ,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert cli("bootstrap").strip() == cluster.bootstrap_servers
    assert int(cli("leader", kafka_topic, "0")) == cluster.leader(kafka_topic)
    assert sorted(map(int, cli("isr", kafka_topic).split())) == sorted(cluster.isr(kafka_topic))
    node = cluster.brokers[0].spec.node_id
    cli("pause", str(node))
    assert f"{node}  broker" in cli("status") and "paused" in cli("status")
    cli("resume", str(node))
    assert "paused" not in cli("status")
    assert "started" in cli("logs", str(node), "-n", "400").lower()


def test_a_node_restarted_by_another_process_is_adopted_not_started_twice(cluster):
    """A notebook restarts a node through its own Cluster object; the test's object must see the new
    JVM as running, and healing must not start a second JVM on the same data."""
    other = Cluster.attach(cluster.state_dir, log=lambda _: None)
    broker = cluster.brokers[0].spec.node_id
    other.kill(broker)
    other.start(broker)
    assert {s.node_id: s.state for s in cluster.status()}[broker] == "running"
    cluster.wait_healthy(timeout=60)
    jvms = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _runs_config(p, cluster.node(broker))]
    assert len(jvms) == 1, f"exactly one JVM for node {broker}"


def _runs_config(proc_dir: Path, node) -> bool:
    try:
        return str(node.config_path).encode() in (proc_dir / "cmdline").read_bytes()
    except OSError:
        return False
