"""The secured modes of `kafkalab up`: every Python client connects, writes and reads back through the
connection contract (client.properties translated by kafkalab.client_settings); and every broken set-up
is reported with its cause, each client timed. Run with -s to see what each client said and when."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from confluent_kafka import Consumer, Producer

from kafkalab import Cluster, client_settings
from kafkalab.certs import Authority
from kafkalab.connection import unsecured_jwt
from kafkalab.plugin import SECURE_PORT_BASE_OFFSET, SECURED_MODES, _port_base

CLIENTS = ("confluent-kafka", "kafka-python", "aiokafka")
RECORDS = [b"first", b"second", b"third"]
# Each client's wait, in these tests: kafka-python's bootstrap_timeout_ms (default 30 s), aiokafka's
# request_timeout_ms (default 40 s), confluent-kafka's message.timeout.ms (default 300 s).
TIMEOUT_S = 5.0
FAST_S = 3.0  # what "reports at once" means here: the first refused connection, well under any timeout


def _read_back_confluent(bs: str, settings: dict, topic: str) -> list[tuple[int, bytes]]:
    consumer = Consumer(
        {"bootstrap.servers": bs, **settings, "group.id": f"g-{uuid.uuid4().hex[:6]}", "auto.offset.reset": "earliest"}
    )
    try:
        consumer.subscribe([topic])
        out: list[tuple[int, bytes]] = []
        deadline = time.monotonic() + 30
        while len(out) < len(RECORDS) and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                out.append((msg.offset(), msg.value()))
        return out
    finally:
        consumer.close()


def _confluent(bs: str, props: dict, topic: str) -> list[tuple[int, bytes]]:
    settings = client_settings("confluent-kafka", props)
    producer = Producer({"bootstrap.servers": bs, **settings, "acks": "all"})
    reports: list = []
    for value in RECORDS:
        producer.produce(topic, value, on_delivery=lambda err, msg: reports.append(err))
    assert producer.flush(30) == 0
    assert reports == [None] * len(RECORDS)
    return _read_back_confluent(bs, settings, topic)


def _kafka_python(bs: str, props: dict, topic: str) -> list[tuple[int, bytes]]:
    from kafka import KafkaConsumer, KafkaProducer

    settings = client_settings("kafka-python", props)
    producer = KafkaProducer(bootstrap_servers=bs, acks="all", **settings)
    try:
        for value in RECORDS:
            producer.send(topic, value).get(timeout=30)
    finally:
        producer.close(timeout=10)
    consumer = KafkaConsumer(topic, bootstrap_servers=bs, auto_offset_reset="earliest", consumer_timeout_ms=10000,
                             **settings)  # fmt: skip
    try:
        return [(m.offset, m.value) for m in consumer][: len(RECORDS)]
    finally:
        consumer.close()


def _aiokafka(bs: str, props: dict, topic: str) -> list[tuple[int, bytes]]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    async def run() -> list[tuple[int, bytes]]:
        producer = AIOKafkaProducer(bootstrap_servers=bs, acks="all", **client_settings("aiokafka", props))
        await asyncio.wait_for(producer.start(), 30)
        try:
            for value in RECORDS:
                await asyncio.wait_for(producer.send_and_wait(topic, value), 30)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bs, auto_offset_reset="earliest",
                                    **client_settings("aiokafka", props))  # fmt: skip
        await asyncio.wait_for(consumer.start(), 30)
        out: list[tuple[int, bytes]] = []
        try:
            deadline = time.monotonic() + 30
            while len(out) < len(RECORDS) and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=1000)
                out += [(m.offset, m.value) for batch in batches.values() for m in batch]
        finally:
            await consumer.stop()
        return out

    return asyncio.run(run())


ROUND_TRIP: dict[str, Callable[[str, dict, str], list[tuple[int, bytes]]]] = {
    "confluent-kafka": _confluent,
    "kafka-python": _kafka_python,
    "aiokafka": _aiokafka,
}


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("kafka_secured_cluster", list(SECURED_MODES), indirect=True)
def test_each_client_writes_and_reads_back_through_the_contract(kafka_secured_cluster: Cluster, client: str):
    cluster = kafka_secured_cluster
    assert cluster.client_config_file is not None and cluster.client_config_file.exists()
    topic = f"secure-{client}-{uuid.uuid4().hex[:8]}"
    cluster.create_topic(topic)
    got = ROUND_TRIP[client](cluster.bootstrap_servers, str(cluster.client_config_file), topic)
    assert [v for _, v in got] == RECORDS
    assert [o for o, _ in got] == [0, 1, 2]


@pytest.mark.parametrize("kafka_secured_cluster", ["tls", "mtls", "sasl-scram"], indirect=True)
def test_the_ca_is_in_the_state_dir_and_certificates_name_loopback(kafka_secured_cluster: Cluster):
    from cryptography import x509

    cluster = kafka_secured_cluster
    assert cluster.ca_file == cluster.state_dir.resolve() / "tls" / "ca.pem"
    cert = x509.load_pem_x509_certificate((cluster.ca_file.parent / "broker.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1"}
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert f"ssl.truststore.location={cluster.ca_file}" in cluster.client_config_file.read_text()


# -- bad input ---------------------------------------------------------------------------------


@dataclass
class Failure:
    """What a client said about a connection that cannot work, and when (seconds from its start)."""

    raised: str | None  # the exception the application got, if any
    raised_after: float | None
    logged: list[tuple[float, str]]  # (seconds, text) of every warning or error it reported otherwise

    def told_after(self) -> float | None:
        """When the application itself heard of it: an exception, or a failed delivery report."""
        if self.raised is not None:
            return self.raised_after
        reports = [t for t, line in self.logged if line.startswith("delivery report:")]
        return min(reports) if reports else None

    def said(self, text: str | tuple[str, ...]) -> float | None:
        """When the client first surfaced `text` (or any of several), in the exception or a report; or None."""
        texts = (text,) if isinstance(text, str) else text
        times = [t for t, line in self.logged if any(x in line for x in texts)]
        if self.raised and any(x in self.raised for x in texts):
            times.append(self.raised_after or 0.0)
        return min(times) if times else None


class _Collect(logging.Handler):
    def __init__(self, t0: float, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.t0, self.lines = t0, []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((time.monotonic() - self.t0, record.getMessage()))


def _watching(name: str, t0: float) -> Iterator[_Collect]:
    handler = _Collect(t0)
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _fail_confluent(bs: str, props: dict, extra: dict, topic: str) -> Failure:
    t0 = time.monotonic()
    lines: list[tuple[float, str]] = []
    logger = logging.getLogger(f"test-security-{uuid.uuid4().hex[:6]}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = _Collect(t0, logging.INFO)  # librdkafka says why a plaintext connection dropped at level 6 only
    logger.addHandler(handler)
    conf = {"bootstrap.servers": bs, **client_settings("confluent-kafka", props),
            "message.timeout.ms": int(TIMEOUT_S * 1000), "logger": logger,
            "error_cb": lambda e: lines.append((time.monotonic() - t0, str(e))), **extra}  # fmt: skip
    conf = {k: v for k, v in conf.items() if v is not None}
    try:
        producer = Producer(conf)
    except Exception as e:  # librdkafka refuses some settings when the producer is made
        return Failure(str(e), time.monotonic() - t0, [])
    reports: list = []
    producer.produce(topic, b"x", on_delivery=lambda err, msg: reports.append(err))
    deadline = time.monotonic() + 12
    while not reports and time.monotonic() < deadline:
        producer.poll(0.1)
        if any(e != "" and "brokers are down" not in e for _, e in lines):
            break
    producer.purge()
    producer.flush(5)
    logged = lines + handler.lines
    if reports and reports[0] is not None:
        logged.append((time.monotonic() - t0, f"delivery report: {reports[0].str()}"))
    return Failure(None, None, sorted(logged))


def _fail_kafka_python(bs: str, props: dict, extra: dict, topic: str) -> Failure:
    from kafka import KafkaProducer

    t0 = time.monotonic()
    settings = {**client_settings("kafka-python", props), **extra}
    settings = {k: v for k, v in settings.items() if v is not None}
    watch = _watching("kafka", t0)
    handler = next(watch)
    try:
        producer = KafkaProducer(bootstrap_servers=bs, bootstrap_timeout_ms=int(TIMEOUT_S * 1000),
                                 max_block_ms=5000, **settings)  # fmt: skip
        try:
            producer.send(topic, b"x").get(timeout=10)
        finally:
            producer.close(timeout=5)
        return Failure(None, None, handler.lines)
    except Exception as e:
        return Failure(f"{type(e).__name__}: {e}", time.monotonic() - t0, handler.lines)
    finally:
        watch.close()


def _fail_aiokafka(bs: str, props: dict, extra: dict, topic: str) -> Failure:
    from aiokafka import AIOKafkaProducer

    async def run() -> Failure:
        t0 = time.monotonic()
        settings = {**client_settings("aiokafka", props), **extra}
        settings = {k: v for k, v in settings.items() if v is not None}
        watch = _watching("aiokafka", t0)
        handler = next(watch)
        producer = None
        try:
            producer = AIOKafkaProducer(bootstrap_servers=bs, request_timeout_ms=int(TIMEOUT_S * 1000), **settings)
            await asyncio.wait_for(producer.start(), 10)
            await asyncio.wait_for(producer.send_and_wait(topic, b"x"), 8)
            return Failure(None, None, handler.lines)
        except Exception as e:
            return Failure(f"{type(e).__name__}: {e}", time.monotonic() - t0, handler.lines)
        finally:
            if producer is not None:
                await producer.stop()
            watch.close()

    return asyncio.run(run())


FAIL = {"confluent-kafka": _fail_confluent, "kafka-python": _fail_kafka_python, "aiokafka": _fail_aiokafka}


def _expired_token_settings(client: str) -> dict:
    """A token that was valid two minutes ago: what a cached token looks like after its expiry."""

    def stale() -> str:
        return unsecured_jwt("admin", lifetime_s=60, now=time.time() - 120)

    if client == "confluent-kafka":  # librdkafka checks only the lifetime its callback reports
        return {"enable.sasl.oauthbearer.unsecure.jwt": None, "sasl.oauthbearer.config": None,
                "oauth_cb": lambda _config: (stale(), time.time() + 60)}  # fmt: skip
    if client == "kafka-python":
        from kafka.net.sasl.oauth import AbstractTokenProvider

        class Stale(AbstractTokenProvider):
            def token(self) -> str:
                return stale()

        return {"sasl_oauth_token_provider": Stale()}
    from aiokafka.abc import AbstractTokenProvider as AioProvider

    class AioStale(AioProvider):
        async def token(self) -> str:
            return stale()

    return {"sasl_oauth_token_provider": AioStale()}


def _no_token_settings(client: str) -> dict:
    if client == "confluent-kafka":
        return {"enable.sasl.oauthbearer.unsecure.jwt": None, "sasl.oauthbearer.config": None}
    return {"sasl_oauth_token_provider": None}


@dataclass(frozen=True)
class Case:
    mode: str  # a SECURED_MODES key, or a certificate flaw
    change: Callable[[dict, object], dict]  # the client properties, spoiled (second argument: tmp_path)
    extra: Callable[[str], dict]  # per-client settings added on top (None removes one)
    # per client: (text, how). "fast": the application is told the text within FAST_S. "logged": the
    # text is only logged, within FAST_S; the application gets an exception when its timeout ends the
    # wait. "silent": nothing until a timeout; then the application gets this text.
    expect: dict[str, tuple[str | tuple[str, ...], str]]


def _other_ca(props: dict, tmp_path) -> dict:
    other = tmp_path / "other-ca.pem"
    other.write_bytes(Authority("a CA the broker never heard of").pem)
    return {**props, "ssl.truststore.location": str(other)}


def _same(props: dict, _tmp_path) -> dict:
    return props


def _nothing(_client: str) -> dict:
    return {}


VERIFY = "certificate verify failed"
CASES = {
    "plaintext-client-to-tls-port": Case(
        "tls", lambda props, _: {}, _nothing,
        {"confluent-kafka": ("in state APIVERSION_QUERY", "fast"),
         "kafka-python": ("Unable to bootstrap", "silent"),
         "aiokafka": ("Unable to bootstrap", "fast")},
    ),
    "wrong-ca": Case(
        "tls", _other_ca, _nothing,
        # librdkafka adds "broker certificate could not be verified, verify that ssl.ca.location ..." only
        # when the failure is seen as an SSL error, not when it comes as a transport error (both happen)
        {"confluent-kafka": (VERIFY, "fast"),
         "kafka-python": ("unable to get local issuer certificate", "logged"),
         "aiokafka": ("unable to get local issuer certificate", "fast")},
    ),
    "wrong-host": Case(
        "wrong-host", _same, _nothing,
        {"confluent-kafka": (VERIFY, "fast"),
         "kafka-python": ("IP address mismatch, certificate is not valid for '127.0.0.1'", "logged"),
         "aiokafka": ("IP address mismatch, certificate is not valid for '127.0.0.1'", "fast")},
    ),
    "expired-certificate": Case(
        "expired", _same, _nothing,
        {"confluent-kafka": (VERIFY, "fast"),
         "kafka-python": ("certificate has expired", "logged"),
         "aiokafka": ("certificate has expired", "fast")},
    ),
    "no-client-certificate": Case(
        "mtls", lambda props, _: {k: v for k, v in props.items() if not k.startswith("ssl.keystore")}, _nothing,
        {"confluent-kafka": ("ssl/tls alert bad certificate", "fast"),
         "kafka-python": ("SSLV3_ALERT_BAD_CERTIFICATE", "logged"),
         "aiokafka": ("Unable to bootstrap", "fast")},
    ),
    "wrong-scram-password": Case(
        "sasl-scram",
        lambda props, _: {**props, "sasl.jaas.config": props["sasl.jaas.config"].replace("admin-secret", "wrong")},
        _nothing,
        {"confluent-kafka": ("Authentication failed during authentication due to invalid credentials", "fast"),
         # the broker answers, then closes the connection: kafka-python often logs only the close
         "kafka-python": (("invalid credentials", "socket disconnected"), "logged"),
         "aiokafka": ("Authentication failed during authentication due to invalid credentials", "fast")},
    ),
    "missing-token": Case(
        "sasl-oauthbearer", _same, _no_token_settings,
        {"confluent-kafka": ("Message timed out", "silent"),
         "kafka-python": ("sasl_oauth_token_provider must implement", "logged"),
         "aiokafka": ("sasl_oauth_token_provider needs to be provided", "fast")},
    ),
    "expired-token": Case(
        "sasl-oauthbearer", _same, _expired_token_settings,
        {"confluent-kafka": ("invalid_token", "fast"),
         "kafka-python": (("invalid_token", "socket disconnected"), "logged"),
         "aiokafka": ("UnknownTopicOrPartitionError", "silent")},
    ),
}  # fmt: skip
FLAW_MODES = ("wrong-host", "expired")


@pytest.fixture(scope="module")
def broken_clusters(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Started on first use: a TLS broker whose certificate names another host, and one whose
    certificate expired (both signed by their cluster's own CA)."""
    started: dict[str, Cluster] = {}

    def get(flaw: str) -> Cluster:
        if flaw not in started:
            base = _port_base() - SECURE_PORT_BASE_OFFSET + 1 + len(SECURED_MODES) + FLAW_MODES.index(flaw)
            state_dir = tmp_path_factory.mktemp(f"kafkalab-{flaw}")
            cluster = Cluster(1, port_base=base, state_dir=state_dir, tls="server", tls_flaw=flaw, die_with_parent=True)
            started[flaw] = cluster.up()
        return started[flaw]

    try:
        yield get  # type: ignore[misc]
    finally:
        for cluster in started.values():
            cluster.down()


def _cluster_for(case: Case, request: pytest.FixtureRequest) -> Cluster:
    if case.mode in FLAW_MODES:
        return request.getfixturevalue("broken_clusters")(case.mode)
    return request.getfixturevalue("kafka_secured_cluster")


def _params() -> list:
    out = []
    for name, case in CASES.items():
        mode = "tls" if case.mode in FLAW_MODES else case.mode  # flawed brokers come from broken_clusters
        out += [pytest.param(mode, name, client, id=f"{name}-{client}") for client in CLIENTS]
    return sorted(out, key=lambda p: list(SECURED_MODES).index(p.values[0]))  # one cluster start per mode


@pytest.mark.parametrize(
    ("kafka_secured_cluster", "case_name", "client"),
    _params(),
    indirect=["kafka_secured_cluster"],
    scope="session",  # else a partly indirect parametrization is function-scoped: a cluster per test
)
def test_bad_input_is_reported_with_its_cause(request, kafka_secured_cluster, case_name: str, client: str, tmp_path):
    case = CASES[case_name]
    cluster = _cluster_for(case, request)
    props = case.change(dict(cluster.topology.client_properties()), tmp_path)
    # a topic that exists (made through the broker's internal listener): a client that only times out
    # is then not waiting for a topic to appear
    topic = f"bad-input-{uuid.uuid4().hex[:8]}"
    cluster.create_topic(topic)
    failure = FAIL[client](cluster.bootstrap_servers, props, case.extra(client), topic)
    text, speed = case.expect[client]
    print(f"\n{case_name} / {client}: raised after {failure.raised_after and round(failure.raised_after, 2)}s "
          f"{failure.raised!r}; first reports: {failure.logged[:2]}")  # fmt: skip
    assert failure.raised is not None or failure.logged, "the client reported nothing at all"
    first = failure.said(text)
    assert first is not None, f"{client} never said {text!r}: {failure}"
    told = failure.told_after()
    if speed == "fast":
        assert first < FAST_S, f"{client} took {first:.1f}s to say {text!r}"
    elif speed == "logged":
        assert first < FAST_S, f"{client} took {first:.1f}s to log {text!r}"
        assert told is not None and told >= TIMEOUT_S - 0.5, f"the application was told after {told}s"
    else:
        assert speed == "silent"
        assert first >= TIMEOUT_S - 0.5, f"{client} said {text!r} after {first:.1f}s, before any timeout"
        assert told is not None and told >= TIMEOUT_S - 0.5
