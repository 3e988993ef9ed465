"""docker-compose.yml must describe the same cluster as kafkalab: version, nodes, ports, settings."""

from pathlib import Path

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
