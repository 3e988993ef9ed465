"""Runs the Java examples' JUnit 5 tests (examples/java) with Maven against the cluster under test."""

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import kafkalab
from kafkalab.certs import Authority

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
    "guide.fieldguide.producer.SchemaRegistryProducerTest",
    "guide.fieldguide.producer.ClientConfigTest",
    "guide.fieldguide.producer.TlsProducerTest",
    "guide.fieldguide.producer.MutualTlsProducerTest",
    "guide.fieldguide.producer.ScramProducerTest",
    "guide.fieldguide.producer.OAuthBearerProducerTest",
}
# The secured lab clusters of the Java security examples (SecuredCluster.java reads KAFKA_<NAME>_...): one
# broker each, on ports of their own next to the SASL/ACL cluster's (base-3000+11.., clear of the plugin's
# kafka_secured_cluster modes at base-3000+1..), so they can run while those are up.
SECURED = {"TLS": {"tls": "server"}, "MTLS": {"tls": "mutual"}, "SCRAM": {"sasl": "SCRAM-SHA-512"},
           "OAUTHBEARER": {"sasl": "OAUTHBEARER"},
           # TlsProducerTest's flawed brokers: a certificate for another host, and an expired one
           "TLS_WRONG_HOST": {"tls": "server", "tls_flaw": "wrong-host"},
           "TLS_EXPIRED": {"tls": "server", "tls_flaw": "expired"}}  # fmt: skip
SECURED_PORT_OFFSET = 11


def _tail(text: str, lines: int = 80) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="module")
def java_secured_env(kafka_secure_cluster: kafkalab.Cluster, tmp_path_factory: pytest.TempPathFactory):
    """The SECURED clusters, started side by side, as environment variables for the Maven run; and a CA
    that signed none of them (TlsProducerTest's wrong-CA case). Stopped when the module ends."""
    base = kafka_secure_cluster.topology.port_base + SECURED_PORT_OFFSET
    clusters = [
        kafkalab.Cluster(1, port_base=base + i, state_dir=tmp_path_factory.mktemp(f"java-{name.lower()}"),
                         die_with_parent=True, log=lambda _: None, **mode)
        for i, (name, mode) in enumerate(SECURED.items())
    ]  # fmt: skip
    wrong_ca = tmp_path_factory.mktemp("java-wrong-ca") / "ca.pem"
    wrong_ca.write_bytes(Authority("a CA that signed no broker").pem)
    env = {"KAFKA_SECURED_REQUIRED": "true", "KAFKA_WRONG_CA_FILE": str(wrong_ca),
           "KAFKA_SCRAM_ADMIN_PASSWORD": kafkalab.SASL_USERS["admin"]}  # fmt: skip
    try:
        for name, cluster in zip(SECURED, clusters, strict=True):
            cluster.up()
            env[f"KAFKA_{name}_BOOTSTRAP_SERVERS"] = cluster.bootstrap_servers
            env[f"KAFKA_{name}_CLIENT_CONFIG"] = str(cluster.client_config_file)
        yield env
    finally:
        for cluster in clusters:
            cluster.down()


@pytest.mark.timeout(MAVEN_TIMEOUT_S + 60)
def test_java_examples(
    kafka_bootstrap: str, kafka_secure_cluster: kafkalab.Cluster, schema_registry_url: str, java_secured_env: dict
) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        pytest.fail("Maven (mvn) is not on PATH")
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_SCHEMA_REGISTRY_URL": schema_registry_url,  # SchemaRegistryProducerTest (Apicurio's serdes)
        # The SASL/PLAIN + ACL cluster for ErrorHandlingAuthorizationTest: admin is a super user, bob has no ACLs.
        "KAFKA_SECURE_BOOTSTRAP_SERVERS": kafka_secure_cluster.bootstrap_servers,
        "KAFKA_SECURE_ADMIN_USER": "admin",
        "KAFKA_SECURE_ADMIN_PASSWORD": kafkalab.SASL_USERS["admin"],
        "KAFKA_SECURE_DENIED_USER": "bob",
        "KAFKA_SECURE_DENIED_PASSWORD": kafkalab.SASL_USERS["bob"],
        "KAFKA_SECURE_REQUIRED": "true",  # a missing secure cluster fails the JUnit test instead of skipping it
        **java_secured_env,  # TlsProducerTest, MutualTlsProducerTest, ScramProducerTest, OAuthBearerProducerTest
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
