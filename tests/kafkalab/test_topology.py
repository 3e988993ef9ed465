"""The generated topology and configs, checked without starting anything."""

import pytest

from kafkalab.topology import Topology


def test_default_topology_is_three_brokers_and_a_dedicated_controller():
    nodes = Topology().nodes()
    assert [(n.node_id, n.role) for n in nodes] == [(0, "controller"), (1, "broker"), (2, "broker"), (3, "broker")]
    assert Topology().bootstrap_servers() == "127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094"


def test_single_broker_is_one_combined_node_with_internal_topics_sized_to_it():
    (node,) = Topology(brokers=1).nodes()
    assert node.role == "combined"
    settings = {k: v for k, v, _ in Topology(brokers=1).settings(node, "/data", {})}
    assert settings["process.roles"] == "broker,controller"
    assert settings["offsets.topic.replication.factor"] == 1
    assert settings["transaction.state.log.min.isr"] == 1


def test_ports_never_collide():
    for brokers in (1, 3, 5):
        ports = [p for n in Topology(brokers, 20000).nodes() for p in n.ports]
        assert len(ports) == len(set(ports))


def test_overrides_replace_defaults_and_add_new_keys():
    topo = Topology()
    broker = topo.nodes()[1]
    settings = dict((k, v) for k, v, _ in topo.settings(broker, "/d", {"min.insync.replicas": 2, "x.y": "z"}))
    assert settings["min.insync.replicas"] == 2
    assert settings["x.y"] == "z"


def test_only_loopback_listeners():
    topo = Topology()
    for node in topo.nodes():
        listeners = dict((k, v) for k, v, _ in topo.settings(node, "/d", {}))["listeners"]
        assert all("//127.0.0.1:" in part for part in listeners.split(","))


@pytest.mark.parametrize("bad", [dict(brokers=0), dict(port_base=80), dict(port_base=65500)])
def test_bad_topology_is_refused(bad):
    with pytest.raises(ValueError):
        Topology(**bad)


@pytest.mark.parametrize(
    ("kw", "protocol"),
    [
        ({"tls": "server"}, "SSL"),
        ({"tls": "mutual"}, "SSL"),
        ({"sasl": True}, "SASL_PLAINTEXT"),
        ({"sasl": "SCRAM-SHA-512"}, "SASL_SSL"),
        ({"sasl": "OAUTHBEARER"}, "SASL_SSL"),
    ],
)
def test_only_the_client_listener_is_secured(kw, protocol):
    topo = Topology(brokers=3, tls_dir="/t", **kw)
    for node in topo.nodes():
        settings = {k: v for k, v, _ in topo.settings(node, "/d", {})}
        protocols = dict(p.split(":") for p in settings["listener.security.protocol.map"].split(","))
        assert protocols == {
            "CONTROLLER": "PLAINTEXT",
            "INTERNAL": "PLAINTEXT",
            "CLIENT": protocol,
            "PROXIED": "PLAINTEXT",
        }
        if node.is_broker and topo.tls:
            assert settings["listener.name.client.ssl.keystore.location"] == "/t/broker.pem"
            assert ("listener.name.client.ssl.client.auth" in settings) == (topo.tls == "mutual")


def test_scram_users_are_created_at_format_time():
    from kafkalab import SASL_USERS

    args = Topology(sasl="SCRAM-SHA-512").format_args()
    assert args[::2] == ["--add-scram"] * len(SASL_USERS)
    assert args[1] == f"SCRAM-SHA-512=[name=admin,password={SASL_USERS['admin']}]"
    assert Topology(tls="server").format_args() == [] and Topology(sasl=True).format_args() == []


def test_scram_and_oauthbearer_always_come_with_tls():
    assert Topology(sasl="SCRAM-SHA-512").tls == "server"
    assert Topology(sasl="OAUTHBEARER").security_protocol == "SASL_SSL"
    assert Topology(sasl=True).security_protocol == "SASL_PLAINTEXT"
    with pytest.raises(ValueError, match="unknown SASL mechanism"):
        Topology(sasl="GSSAPI")
    with pytest.raises(ValueError, match="unknown TLS mode"):
        Topology(tls="optional")


def test_the_storage_template_key_holds_the_scram_credentials(tmp_path):
    from kafkalab.runtime import _key

    def key(password: str) -> str:
        return _key("jars", "combined", ["--add-scram", f"SCRAM-SHA-512=[name=admin,password={password}]"], {})

    assert key("a") != key("b"), "another password must not reuse a template formatted with the first"
