"""docker-compose.yml must describe the same cluster as kafkalab: version, nodes, ports, settings."""

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from kafkalab import KAFKA_VERSION, SASL_USERS
from kafkalab.registry import APICURIO_VERSION, CCOMPAT_PATH, JVM_OPTS, SETTINGS
from kafkalab.topology import Topology

ROOT = Path(__file__).parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
REGISTRY = COMPOSE["services"]["schema-registry"]
KAFKA_SERVICES = {name: s for name, s in COMPOSE["services"].items() if "KAFKA_NODE_ID" in s["environment"]}
# Settings that name hosts or paths, which legitimately differ inside containers.
HOST_SPECIFIC = {"listeners", "advertised.listeners", "controller.quorum.voters", "log.dirs"}


def _env(service: dict) -> dict[str, str]:
    return {k: str(v) for k, v in service["environment"].items()}


def _services_by_node() -> dict[int, dict]:
    return {int(s["environment"]["KAFKA_NODE_ID"]): s for s in KAFKA_SERVICES.values()}


def test_same_image_version_as_kafkalab():
    images = {s["image"] for s in KAFKA_SERVICES.values()}
    assert images == {f"apache/kafka:{KAFKA_VERSION}"}
    assert set(COMPOSE["services"]) - set(KAFKA_SERVICES) == {"schema-registry"}, "nothing else runs"


def test_same_nodes_and_roles():
    services = _services_by_node()
    assert {i: s["environment"]["KAFKA_PROCESS_ROLES"] for i, s in services.items()} == {
        n.node_id: n.role for n in Topology().nodes()
    }


def test_same_advertised_client_ports_published_on_the_host():
    services = _services_by_node()
    for node in Topology().nodes():
        if not node.is_broker:
            continue
        s = services[node.node_id]
        advertised = dict(part.split("://") for part in s["environment"]["KAFKA_ADVERTISED_LISTENERS"].split(","))
        assert advertised["CLIENT"] == f"localhost:{node.client_port}"
        assert advertised["PROXIED"] == f"localhost:{node.proxy_port}", "kafkalab proxy on the host"
        assert s["ports"] == [f"{p}:{p}" for p in (node.client_port, node.proxied_port)]


def test_every_generated_setting_is_in_compose_with_the_same_value():
    topo = Topology()
    services = _services_by_node()
    for node in topo.nodes():
        env = _env(services[node.node_id])
        for key, value, _ in topo.settings(node, "/data", {}):
            if key in HOST_SPECIFIC:
                continue
            name = "KAFKA_" + key.upper().replace(".", "_")
            want = str(value).lower() if isinstance(value, bool) else str(value)
            assert env.get(name) == want, f"node {node.node_id}: {name}"


# The secured overrides: docker compose -f docker-compose.yml -f docker-compose.<name>.yml, certificates
# from `kafkalab certs lab-certs` mounted at CERTS; each name maps to kafkalab's Topology of that mode.
CERTS = "/etc/kafka/lab-certs"
SECURED: dict[str, dict[str, str]] = {
    "tls": {"tls": "server"},
    "mtls": {"tls": "mutual"},
    "scram": {"sasl": "SCRAM-SHA-512"},
    "oauthbearer": {"sasl": "OAUTHBEARER"},
}
# What the apache/kafka image does not turn into server.properties (KafkaDockerWrapper.ExcludeServerPropsEnv).
IMAGE_EXCLUDED = {"KAFKA_HEAP_OPTS", "KAFKA_OPTS", "KAFKA_JMX_OPTS", "KAFKA_LOG4J_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS"}


def _image_env(key: str) -> str:
    """The apache/kafka image's environment name of a setting: . is _, _ is __, - is ___."""
    return "KAFKA_" + key.replace("_", "__").replace("-", "___").replace(".", "_").upper()


def _image_setting(env_name: str) -> str:
    """The setting the image writes for KAFKA_...: its own rule (KafkaDockerWrapper.getServerConfigsFromEnv)."""
    return env_name.removeprefix("KAFKA_").lower().replace("_", ".").replace("...", "-").replace("..", "_")


def _override(name: str) -> dict:
    return yaml.safe_load((ROOT / f"docker-compose.{name}.yml").read_text())


def _merged(name: str) -> dict[int, dict[str, str]]:
    """Each node's environment once the override is merged over the base file (compose merges by key)."""
    override = _override(name)
    out = {}
    for service_name, service in KAFKA_SERVICES.items():
        extra = override["services"].get(service_name, {}).get("environment", {})
        out[int(service["environment"]["KAFKA_NODE_ID"])] = {**_env(service), **{k: str(v) for k, v in extra.items()}}
    return out


def test_the_image_names_round_trip():
    for key in ("listener.name.client.scram-sha-512.sasl.jaas.config", "super.users", "log_dirs.x-y"):
        assert _image_setting(_image_env(key)) == key


@pytest.mark.parametrize("name", SECURED)
def test_every_generated_setting_of_a_secured_mode_is_in_its_override(name):
    topo = Topology(**SECURED[name], tls_dir=CERTS)
    merged = _merged(name)
    for node in topo.nodes():
        for key, value, _ in topo.settings(node, "/data", {}):
            if key in HOST_SPECIFIC:
                continue
            env_name = _image_env(key)
            want = str(value).lower() if isinstance(value, bool) else str(value)
            assert merged[node.node_id].get(env_name) == want, f"{name}: node {node.node_id}: {env_name}"


@pytest.mark.parametrize("name", SECURED)
def test_a_secured_override_sets_nothing_kafkalab_does_not(name):
    """Read back as the image reads it, each node gets exactly kafkalab's settings: the same listeners'
    protocols and mechanisms, and no setting of its own."""
    topo = Topology(**SECURED[name], tls_dir=CERTS)
    merged = _merged(name)
    for node in topo.nodes():
        image = {_image_setting(k) for k in merged[node.node_id] if k.startswith("KAFKA_") and k not in IMAGE_EXCLUDED}
        assert image == {key for key, _, _ in topo.settings(node, "/data", {})}, f"{name}: node {node.node_id}"


@pytest.mark.parametrize("name", SECURED)
def test_brokers_of_a_secured_override_mount_the_lab_certificates(name):
    override = _override(name)
    brokers = [s for s in COMPOSE["services"] if s.startswith("broker-")]
    for service in brokers:
        assert override["services"][service]["volumes"] == [f"./lab-certs:{CERTS}:ro"]


def _format_script() -> str:
    """The SCRAM controller's command, as the container's bash gets it ($$ is compose's escaped $)."""
    command = _override("scram")["services"]["controller"]["command"]
    assert command[:2] == ["bash", "-ec"]
    return command[2].replace("$$", "$")


def test_scram_users_are_kafkalabs_and_only_the_controller_formats_with_them():
    users = re.findall(r"--add-scram '([^']+)'", _format_script())
    want = Topology(sasl="SCRAM-SHA-512").format_args()
    assert [arg for user in users for arg in ("--add-scram", user)] == want
    assert _format_script().rstrip().endswith("exec /etc/kafka/docker/run"), "then the image's own start"
    services = _override("scram")["services"]
    assert [s for s, service in services.items() if "command" in service] == ["controller"]
    assert "command" not in _override("oauthbearer")["services"]["controller"], "no users: the image formats"


@pytest.mark.timeout(120)
def test_the_scram_controller_command_formats_storage_with_the_users(tmp_path):
    """The controller's command, run with its compose environment and Kafka 4.3.1's own storage tool
    (kafkalab's jars standing in for the image's /opt/kafka): the users are in the formatted metadata; a
    restart finds the storage formatted and leaves it."""
    from kafkalab.runtime import java_executable, resolved

    tool = tmp_path / "kafka-storage.sh"
    tool.write_text(f'#!/bin/sh\nexec "{java_executable()}" -cp "{resolved().classpath("broker")}" '
                    'kafka.tools.StorageTool "$@"\n')  # fmt: skip
    tool.chmod(0o755)
    script = (_format_script().replace("/opt/kafka/bin/kafka-storage.sh", str(tool))
              .replace("/tmp/format.properties", str(tmp_path / "format.properties"))
              .replace("exec /etc/kafka/docker/run", "echo started"))  # fmt: skip
    env = _merged("scram")[0] | {"KAFKA_LOG_DIRS": str(tmp_path / "data")}
    env["PATH"] = os.environ["PATH"]
    first = subprocess.run(["bash", "-ec", script], env=env, capture_output=True, text=True, timeout=90)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.stdout.rstrip().endswith("started")
    written = re.findall(r"UserScramCredentialRecord\(name='(\w+)', mechanism=(\d+)", first.stdout)
    assert written == [(user, "2") for user in SASL_USERS], first.stdout[-2000:]  # 2: SCRAM-SHA-512
    assert (tmp_path / "data" / "bootstrap.checkpoint").exists()
    again = subprocess.run(["bash", "-ec", script], env=env, capture_output=True, text=True, timeout=90)
    assert again.returncode == 0 and again.stdout.strip() == "started", again.stdout + again.stderr


# The schema registry: the official image of the registry kafkalab assembles from Maven Central.
REGISTRY_CONTAINER_PORT = 8080  # the image's (Quarkus's default quarkus.http.port; the Dockerfile EXPOSEs it)
REGISTRY_HOST_SPECIFIC = {"quarkus.http.host", "quarkus.http.port"}  # the image listens on 0.0.0.0:8080


def _quarkus_env(key: str) -> str:
    """Quarkus reads every property from the environment too: quarkus.datasource.jdbc.min-size is
    QUARKUS_DATASOURCE_JDBC_MIN_SIZE."""
    return key.upper().replace(".", "_").replace("-", "_")


def test_registry_same_version_and_port_as_kafkalab():
    assert REGISTRY["image"] == f"apicurio/apicurio-registry-mem:{APICURIO_VERSION}"
    assert REGISTRY["ports"] == [f"{Topology().registry_port}:{REGISTRY_CONTAINER_PORT}"]


def test_registry_every_kafkalab_setting_is_in_compose_with_the_same_value():
    env = _env(REGISTRY)
    wanted = {_quarkus_env(k): v for k, v in SETTINGS.items() if k not in REGISTRY_HOST_SPECIFIC}
    assert {k: env.get(k) for k in wanted} == wanted
    assert env["JAVA_OPTS_APPEND"].split() == JVM_OPTS, "the same heap, collector and compiler"
    assert set(env) == {*wanted, "JAVA_OPTS_APPEND"}, "no setting kafkalab's registry does not have"


def test_example_registry_urls_default_to_the_compose_registry():
    """An example run without $KAFKA_SCHEMA_REGISTRY_URL reaches the registry of docker compose (and of
    `kafkalab up --registry` on the default port base) through the Confluent-compatible API."""
    pattern = re.compile(r"KAFKA_SCHEMA_REGISTRY_URL\"\)?,\s*\"(http://[^\"]+)\"")
    defaults = {
        str(path.relative_to(ROOT)): url
        for path in sorted((ROOT / "examples").rglob("*"))
        if path.suffix in {".py", ".java"}
        for url in pattern.findall(path.read_text())
    }
    assert len(defaults) >= 5, defaults  # the schema pages' examples, Python and Java
    host_port = REGISTRY["ports"][0].split(":")[0]
    assert set(defaults.values()) == {f"http://localhost:{host_port}{CCOMPAT_PATH}"}, defaults
