"""The pytest plugin against a cluster it did not start (a reader's own): what it cannot do there is
skipped with the reason, and settings that cannot match the cluster are refused. No broker needed."""

import os
import subprocess
import sys

TESTS = """
import pytest


def test_needs_faults(kafka_cluster):
    pass


@pytest.fixture(scope="session")
def kafka_broker_count():
    return 1  # as a one-broker cluster would answer


def test_needs_three_brokers(kafka_three_brokers):
    pass


def test_needs_a_registry(schema_registry_url):
    pass


def test_needs_a_cluster(kafka_bootstrap):
    pass
"""


def run(tmp_path, **env: str) -> str:
    (tmp_path / "test_external.py").write_text(TESTS)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "KAFKALAB_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "-q", "test_external.py"],
        cwd=tmp_path,
        env=clean | {"KAFKALAB_STATE_DIR": str(tmp_path / "no-cluster-here")} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout + done.stderr


def test_an_external_cluster_skips_what_needs_fault_controls_three_brokers_or_a_registry(tmp_path):
    out = run(tmp_path, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1")
    assert "1 passed, 3 skipped" in out, out
    assert "needs kafkalab fault controls; $KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:1 is not a kafkalab cluster" in out
    assert "needs 3 brokers for replication factor 3; the cluster at 127.0.0.1:1 has 1" in out
    assert "needs a schema registry: set $KAFKA_SCHEMA_REGISTRY_URL" in out


def test_client_settings_without_a_cluster_are_refused(tmp_path):
    out = run(tmp_path, KAFKA_CLIENT_CONFIG=str(tmp_path / "client.properties"))
    assert "$KAFKA_CLIENT_CONFIG is set but $KAFKA_BOOTSTRAP_SERVERS is not" in out, out
    assert " passed" not in out, "no test ran against a private cluster with settings meant for another one"
