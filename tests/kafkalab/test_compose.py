"""docker-compose.yml must describe the same cluster as kafkalab: version, nodes, ports, settings."""

from pathlib import Path

import pytest
import yaml

from kafkalab import KAFKA_VERSION
from kafkalab.topology import Topology

COMPOSE = yaml.safe_load((Path(__file__).parents[2] / "docker-compose.yml").read_text())
# Settings that name hosts or paths, which legitimately differ inside containers.
HOST_SPECIFIC = {"listeners", "advertised.listeners", "controller.quorum.voters", "log.dirs"}


def _env(service: dict) -> dict[str, str]:
    return {k: str(v) for k, v in service["environment"].items()}


def _services_by_node() -> dict[int, dict]:
    return {int(s["environment"]["KAFKA_NODE_ID"]): s for s in COMPOSE["services"].values()}


def test_same_image_version_as_kafkalab():
    images = {s["image"] for s in COMPOSE["services"].values()}
    assert images == {f"apache/kafka:{KAFKA_VERSION}"}


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
# from `kafkalab certs lab-certs` mounted at CERTS.
CERTS = "/etc/kafka/lab-certs"
SECURED = {"tls": "server", "mtls": "mutual"}


def _merged(name: str) -> dict[int, dict[str, str]]:
    """Each node's environment once the override is merged over the base file (compose merges by key)."""
    override = yaml.safe_load((Path(__file__).parents[2] / f"docker-compose.{name}.yml").read_text())
    out = {}
    for service_name, service in COMPOSE["services"].items():
        extra = override["services"].get(service_name, {}).get("environment", {})
        out[int(service["environment"]["KAFKA_NODE_ID"])] = {**_env(service), **{k: str(v) for k, v in extra.items()}}
    return out


@pytest.mark.parametrize("name", SECURED)
def test_every_generated_setting_of_a_secured_mode_is_in_its_override(name):
    topo = Topology(tls=SECURED[name], tls_dir=CERTS)
    merged = _merged(name)
    for node in topo.nodes():
        for key, value, _ in topo.settings(node, "/data", {}):
            if key in HOST_SPECIFIC:
                continue
            env_name = "KAFKA_" + key.upper().replace(".", "_")
            want = str(value).lower() if isinstance(value, bool) else str(value)
            assert merged[node.node_id].get(env_name) == want, f"{name}: node {node.node_id}: {env_name}"


@pytest.mark.parametrize("name", SECURED)
def test_brokers_of_a_secured_override_mount_the_lab_certificates(name):
    override = yaml.safe_load((Path(__file__).parents[2] / f"docker-compose.{name}.yml").read_text())
    brokers = [s for s in COMPOSE["services"] if s.startswith("broker-")]
    for service in brokers:
        assert override["services"][service]["volumes"] == [f"./lab-certs:{CERTS}:ro"]
