"""Runs the Java examples' JUnit 5 tests (examples/java) with Maven against the cluster under test."""

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import kafkalab

JAVA_DIR = Path(__file__).resolve().parent
REPORTS = JAVA_DIR / "target" / "surefire-reports"
MAVEN_TIMEOUT_S = 900
TEST_CLASSES = {
    "guide.fieldguide.producer.BasicProducerTest",
    "guide.fieldguide.producer.HeadersProducerTest",
    "guide.fieldguide.producer.IdempotentProducerTest",
    "guide.fieldguide.producer.TransactionalProducerTest",
    "guide.fieldguide.producer.ErrorHandlingProducerTest",
    "guide.fieldguide.producer.ErrorHandlingAuthorizationTest",
    "guide.fieldguide.producer.ProducerDefaultsTest",
    "guide.fieldguide.producer.PartitioningProducerTest",
    "guide.fieldguide.producer.ProductionProducerTest",
    "guide.fieldguide.producer.MonitoringProducerTest",
}


def _tail(text: str, lines: int = 80) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.mark.timeout(MAVEN_TIMEOUT_S + 60)
def test_java_examples(kafka_bootstrap: str, kafka_secure_cluster: kafkalab.Cluster) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        pytest.fail("Maven (mvn) is not on PATH")
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        # The SASL/PLAIN + ACL cluster for ErrorHandlingAuthorizationTest: admin is a super user, bob has no ACLs.
        "KAFKA_SECURE_BOOTSTRAP_SERVERS": kafka_secure_cluster.bootstrap_servers,
        "KAFKA_SECURE_ADMIN_USER": "admin",
        "KAFKA_SECURE_ADMIN_PASSWORD": kafkalab.SASL_USERS["admin"],
        "KAFKA_SECURE_DENIED_USER": "bob",
        "KAFKA_SECURE_DENIED_PASSWORD": kafkalab.SASL_USERS["bob"],
        "KAFKA_SECURE_REQUIRED": "true",  # a missing secure cluster fails the JUnit test instead of skipping it
    }
    # Maven, javac and the forked test JVM live seconds: the C1 compiler alone starts them faster.
    quick_jvm = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    env["MAVEN_OPTS"] = f"{quick_jvm} {os.environ.get('MAVEN_OPTS', '')}".strip()
    # `clean` so that only this run's reports are read.
    proc = subprocess.run(
        [mvn, "-B", "clean", "test", f"-DargLine={quick_jvm}"],
        cwd=JAVA_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=MAVEN_TIMEOUT_S,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"mvn test exited with {proc.returncode}:\n{_tail(output)}"

    suites = {}
    for report in sorted(REPORTS.glob("TEST-*.xml")):
        root = ET.parse(report).getroot()
        suites[root.get("name")] = {key: int(root.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")}
    missing = TEST_CLASSES - suites.keys()
    assert not missing, f"no surefire report for {sorted(missing)}:\n{_tail(output)}"
    for name, counts in suites.items():
        assert counts["tests"] > 0, f"{name}: no tests ran"
        assert counts["failures"] == counts["errors"] == counts["skipped"] == 0, f"{name}: {counts}\n{_tail(output)}"
