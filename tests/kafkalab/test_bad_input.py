"""What a reader sees when something is in the way: a busy port, a second `up`, a node that dies."""

import os
import socket
import subprocess
import sys
import time

import pytest

from kafkalab import Cluster, ClusterStateError, NodeFailed, PortBusy

SPARE_BASE = 27092  # a second, short-lived cluster beside the session cluster


def test_busy_client_port_is_named_and_nothing_starts(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", SPARE_BASE + 1))
        squatter.listen()
        cluster = Cluster(3, port_base=SPARE_BASE, state_dir=tmp_path / "c", log=lambda _: None)
        with pytest.raises(PortBusy, match=f"port {SPARE_BASE + 1} .* --port-base") as err:
            cluster.up()
    assert err.value.port == SPARE_BASE + 1
    assert not cluster.is_up()


def test_up_when_already_up_says_so_and_starts_nothing(kafka_cluster):
    pids = [n.pid for n in kafka_cluster.nodes]
    again = Cluster(
        kafka_cluster.topology.brokers, port_base=kafka_cluster.topology.port_base, state_dir=kafka_cluster.state_dir
    )
    with pytest.raises(ClusterStateError, match="already up .* nothing was started"):
        again.up()
    assert [n.pid for n in Cluster.attach(kafka_cluster.state_dir).nodes] == pids
    assert all(n.alive for n in kafka_cluster.nodes)


def test_down_when_nothing_runs_is_not_an_error(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "kafkalab", "--state-dir", str(tmp_path / "none"), "down"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0
    assert "nothing to stop" in out.stdout


def test_bootstrap_of_a_cluster_that_is_not_up_fails_clearly(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "kafkalab", "--state-dir", str(tmp_path / "none"), "bootstrap"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1
    assert "run `kafkalab up` first" in out.stderr


def test_node_that_dies_during_start_fails_with_its_log_tail(tmp_path):
    # The broker accepts this config at format time, then cannot load the class when it starts.
    cluster = Cluster(
        1,
        port_base=SPARE_BASE,
        state_dir=tmp_path / "c",
        overrides={"authorizer.class.name": "org.example.NoSuchAuthorizer"},
        log=lambda _: None,
    )
    started = time.monotonic()
    with pytest.raises(NodeFailed, match="exited with code 1 during start-up") as err:
        cluster.up(timeout=90)
    assert "NoSuchAuthorizer" in str(err.value), "the log tail names the cause"
    assert time.monotonic() - started < 90
    assert not any(n.alive for n in cluster.nodes)
    assert os.path.exists(cluster.nodes[0].log_path) or os.path.exists(cluster.nodes[0].stdout_path)
