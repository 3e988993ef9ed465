"""The pytest plugin (registered through the pytest11 entry point).

`kafka_bootstrap` uses $KAFKA_BOOTSTRAP_SERVERS when set (docker compose, a running `kafkalab up`, or
a reader's own cluster, secured by the settings in $KAFKA_CLIENT_CONFIG) and otherwise starts a private
kafkalab cluster on first use, torn down at the end of the session, even an interrupted one. Its JVMs
also die with the pytest process if that is killed outright.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from .admin import Admin, broker_count, new_topic
from .cluster import Cluster, default_state_dir
from .connection import ENV_VAR as CLIENT_CONFIG_ENV
from .errors import KafkalabError
from .runtime import KAFKA_VERSION

TEST_PORT_BASE = 29092  # clear of a reader's 9092 and of the kernel's ephemeral ports (32768+)
SECURE_PORT_BASE_OFFSET = 3000  # the SASL/ACL cluster (started only by tests that ask for it): 26092 by default


REGISTRY_ENV = "KAFKA_SCHEMA_REGISTRY_URL"


# Bootstrap servers of the private cluster this session started (and put in $KAFKA_BOOTSTRAP_SERVERS).
_PRIVATE: set[str] = set()


def _external() -> str | None:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None


def _port_base() -> int:
    """$KAFKALAB_PORT_BASE, so that two test runs on one machine can each have their own clusters."""
    return int(os.environ.get("KAFKALAB_PORT_BASE") or TEST_PORT_BASE)


def _brokers() -> int:
    return int(os.environ.get("KAFKALAB_BROKERS") or 3)


def pytest_report_header(config: pytest.Config) -> list[str]:
    external = _external()
    where = f"external cluster at {external}" if external else f"private kafkalab cluster, {_brokers()} broker(s)"
    if os.environ.get(CLIENT_CONFIG_ENV):
        where += f", client settings from ${CLIENT_CONFIG_ENV}={os.environ[CLIENT_CONFIG_ENV]}"
    return [f"kafkalab: Apache Kafka {KAFKA_VERSION} ({where})"]


def _attached(external: str) -> Cluster | None:
    """The running kafkalab cluster (in $KAFKALAB_STATE_DIR) that `external` names, if there is one."""
    try:
        cluster = Cluster.attach(default_state_dir(), log=lambda _: None)
    except KafkalabError:
        return None
    return cluster if cluster.bootstrap_servers == external else None


@pytest.fixture(scope="session")
def kafka_cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A kafkalab cluster with fault controls: the running `kafkalab up` one that
    $KAFKA_BOOTSTRAP_SERVERS points at, or a private one started here."""
    external = _external()
    if external:
        cluster = _attached(external)
        if cluster is None:
            pytest.skip(f"needs kafkalab fault controls; $KAFKA_BOOTSTRAP_SERVERS={external} is not a kafkalab cluster")
        yield cluster
        return
    if os.environ.get(CLIENT_CONFIG_ENV):
        pytest.fail(
            f"${CLIENT_CONFIG_ENV} is set but $KAFKA_BOOTSTRAP_SERVERS is not: the private lab cluster is "
            "PLAINTEXT; name the secured cluster those settings are for, or unset the variable",
            pytrace=False,
        )
    cluster = Cluster(
        _brokers(),
        port_base=_port_base(),
        state_dir=tmp_path_factory.mktemp("kafkalab"),
        die_with_parent=True,
        log=_terminal_log(request.config),
    )
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = cluster.bootstrap_servers  # for examples and child processes
    _PRIVATE.add(cluster.bootstrap_servers)  # set by this session: not a reader's external cluster
    try:
        cluster.up()
        yield cluster
    finally:
        del os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        _PRIVATE.discard(cluster.bootstrap_servers)
        cluster.down()


@pytest.fixture(scope="session")
def kafka_secure_cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A private one-broker cluster whose client listener wants a SASL/PLAIN login and enforces ACLs
    (users in kafkalab.SASL_USERS; admin is a super user). Always local: compose has no such service."""
    yield from _one_broker_cluster(request, tmp_path_factory, "kafkalab-secure", 0, sasl=True)


def _one_broker_cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str, offset: int, **settings: object
) -> Iterator[Cluster]:
    """A private one-broker cluster at base-3000+`offset`, up for the fixture's scope and always stopped."""
    cluster = Cluster(
        1,
        port_base=_port_base() - SECURE_PORT_BASE_OFFSET + offset,
        state_dir=tmp_path_factory.mktemp(name),
        die_with_parent=True,
        log=_terminal_log(request.config),
        **settings,  # type: ignore[arg-type]
    )
    try:
        cluster.up()
        yield cluster
    finally:
        cluster.down()


# The secured modes of `kafkalab up`, each a one-broker cluster of its own on base-3000+1.. (26093.. by default).
SECURED_MODES: dict[str, dict[str, object]] = {
    "tls": {"tls": "server"},
    "mtls": {"tls": "mutual"},
    "sasl-plain": {"sasl": "PLAIN"},
    "sasl-scram": {"sasl": "SCRAM-SHA-512"},
    "sasl-oauthbearer": {"sasl": "OAUTHBEARER"},
}


@pytest.fixture(scope="session")
def kafka_secured_cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """A private one-broker cluster whose client listener is secured in one of SECURED_MODES (the
    fixture's parameter, "sasl-scram" by default: parametrize it with indirect=True). Its
    client_config_file is what $KAFKA_CLIENT_CONFIG would name; its ca_file the CA to trust."""
    mode = getattr(request, "param", "sasl-scram")
    if mode not in SECURED_MODES:
        raise ValueError(f"unknown secured mode {mode!r}; known: {', '.join(SECURED_MODES)}")
    offset = 1 + list(SECURED_MODES).index(mode)
    yield from _one_broker_cluster(request, tmp_path_factory, f"kafkalab-{mode}", offset, **SECURED_MODES[mode])


def _terminal_log(config: pytest.Config):
    """Progress lines that reach the terminal even while pytest captures output."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capman = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capman is None:
        return print

    def log(line: str) -> None:
        with capman.global_and_fixture_disabled():
            reporter.write_line(line)

    return log


@pytest.fixture(scope="session")
def schema_registry_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A real schema registry's URL for confluent-kafka's SchemaRegistryClient: $KAFKA_SCHEMA_REGISTRY_URL
    when set, else kafkalab's (Apicurio Registry) beside the cluster under test: the one `kafkalab up
    --registry` started, or one started on first use and stopped at the end of the session (and with
    the pytest process, if that is killed). Put in $KAFKA_SCHEMA_REGISTRY_URL for examples."""
    external = os.environ.get(REGISTRY_ENV)
    if external:
        yield external
        return
    if _external() and _external() not in _PRIVATE and _attached(_external()) is None:
        pytest.skip(f"needs a schema registry: set ${REGISTRY_ENV} (kafkalab starts one only beside its own cluster)")
    cluster: Cluster = request.getfixturevalue("kafka_cluster")
    started_here = cluster.registry_url is None
    url = cluster.start_registry(die_with_parent=True)
    os.environ[REGISTRY_ENV] = url
    try:
        yield url
    finally:
        del os.environ[REGISTRY_ENV]
        if started_here:
            cluster.stop_registry()


@pytest.fixture(scope="session")
def kafka_bootstrap(request: pytest.FixtureRequest) -> str:
    """Bootstrap servers of the cluster under test: $KAFKA_BOOTSTRAP_SERVERS, else a private cluster."""
    return _external() or request.getfixturevalue("kafka_cluster").bootstrap_servers


@pytest.fixture(scope="session")
def kafka_broker_count(kafka_bootstrap: str) -> int:
    """How many brokers the cluster under test has (a reader's cluster may have fewer than three)."""
    return broker_count(kafka_bootstrap)


@pytest.fixture
def kafka_three_brokers(kafka_bootstrap: str, kafka_broker_count: int) -> None:
    """Skips the test, saying why, when the cluster under test has fewer than the three brokers that
    replication factor 3 needs."""
    if kafka_broker_count < 3:
        pytest.skip(
            f"needs 3 brokers for replication factor 3; the cluster at {kafka_bootstrap} has {kafka_broker_count}"
        )


@pytest.fixture
def kafka_topic(request: pytest.FixtureRequest, kafka_bootstrap: str) -> Iterator[str]:
    """A fresh topic named after the test, RF min(3, brokers), with a leader and a full ISR; deleted
    afterwards, so a long-lived cluster does not pile up partitions."""
    name = new_topic(kafka_bootstrap, request.node.name)
    yield name
    admin = Admin(kafka_bootstrap)
    with contextlib.suppress(Exception):  # best effort: a test may have left the cluster degraded
        admin.client.delete_topics([name], operation_timeout=10)[name].result(timeout=15)
