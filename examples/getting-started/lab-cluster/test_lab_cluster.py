"""The lab cluster page (and the home page's summary of it) against the running cluster: the settings table
read back from the brokers and the controller, listeners, heaps, threads, `kafkalab status`, Eligible
Leader Replicas, how fast a silent broker is fenced, and what `make serve` / `make test` do."""

import ast
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient

import kafkalab
from kafkalab.lab import wait_until
from kafkalab.tools import run_tool

SECURITY = kafkalab.client_settings("kafka-python")

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "getting-started" / "lab-cluster.md"
READER_BASE = 9092  # the port base the page's numbers are written for
TABLE_ROW = re.compile(r"^\| `([\w.]+)` \| (\S+) \| (\S+) \| .+ \|$", re.M)
DESCRIBED = re.compile(r"^\s+([\w.]+)=(.*?) sensitive=(?:true|false) synonyms=\{(.*)\}$", re.M)


def _described(where: str, address: str, node: int) -> dict[str, dict]:
    """Every config of one node as ConfigCommand describes it: value, where it comes from, Kafka's default."""
    out = run_tool(
        "ConfigCommand", where, address,
        "--entity-type", "brokers", "--entity-name", str(node), "--describe", "--all", timeout=90,
    ).stdout  # fmt: skip
    configs = {}
    for key, value, synonyms in DESCRIBED.findall(out):
        default = re.search(rf"DEFAULT_CONFIG:{re.escape(key)}=([^,}}]*)", synonyms)
        configs[key] = {
            "value": value,
            "set": not synonyms.startswith("DEFAULT_CONFIG:"),
            "default": default.group(1) if default else None,
        }
    return configs


@pytest.fixture(scope="module")
def nodes(kafka_cluster) -> dict[str, dict[str, dict]]:
    """The live configuration of broker 1 (asked through a broker) and of the controller (asked directly)."""
    status = {s.node_id: s for s in kafka_cluster.status()}
    broker = f"127.0.0.1:{status[1].ports['client']}"
    controller = f"127.0.0.1:{status[0].ports['controller']}"
    with ThreadPoolExecutor(2) as pool:
        on_broker = pool.submit(_described, "--bootstrap-server", broker, 1)
        on_controller = pool.submit(_described, "--bootstrap-controller", controller, 0)
        return {"broker": on_broker.result(), "controller": on_controller.result()}


def _shift(kafka_cluster) -> int:
    """How far this cluster's ports are from the reader's (9092...): 0 for `make serve`'s cluster."""
    return {s.node_id: s for s in kafka_cluster.status()}[1].ports["client"] - READER_BASE


def test_the_settings_table_is_what_the_cluster_runs_with(nodes):
    rows = TABLE_ROW.findall(PAGE.read_text())
    assert len(rows) == 7, rows
    for key, lab, default in rows:
        on_broker, on_controller = nodes["broker"].get(key), nodes["controller"][key]
        live = on_broker if on_broker is not None and on_broker["set"] else on_controller
        assert live["set"], f"{key} is not set on any node"
        assert live["value"] == lab, f"{key}: the page says {lab}, the cluster runs {live['value']}"
        assert on_controller["default"] == default, f"{key}: Kafka's default is {on_controller['default']}"


def test_the_settings_of_the_table_each_carry_a_comment(kafka_cluster):
    lines = []
    for node in (0, 1):
        lines += kafka_cluster.node(node).config_path.read_text().splitlines()
    for key, lab, _ in TABLE_ROW.findall(PAGE.read_text()):
        at = lines.index(f"{key}={lab}")
        assert lines[at - 1].startswith("# "), f"{key} has no comment saying why"


def test_heaps_and_threads_are_small(kafka_cluster, nodes):
    for status in kafka_cluster.status():
        cmdline = Path(f"/proc/{status.pid}/cmdline").read_bytes().split(b"\0")
        assert b"-Xmx512m" in cmdline, f"node {status.node_id}"
    threads = {key: nodes["broker"][key] for key in ("num.network.threads", "num.io.threads", "background.threads")}
    assert {k: (v["value"], v["default"]) for k, v in threads.items()} == {
        "num.network.threads": ("2", "3"),
        "num.io.threads": ("2", "8"),
        "background.threads": ("2", "10"),
    }


def test_three_listeners_on_loopback_and_the_controller_on_9292(kafka_cluster, nodes):
    shift = _shift(kafka_cluster)
    listeners = dict(part.split("://") for part in nodes["broker"]["listeners"]["value"].split(","))
    advertised = dict(part.split("://") for part in nodes["broker"]["advertised.listeners"]["value"].split(","))
    assert listeners == {
        "INTERNAL": f"127.0.0.1:{9192 + shift}",
        "CLIENT": f"127.0.0.1:{9092 + shift}",
        "PROXIED": f"127.0.0.1:{9392 + shift}",
    }
    assert advertised["PROXIED"] == f"127.0.0.1:{9492 + shift}", "the proxy's port"
    assert nodes["controller"]["listeners"]["value"] == f"CONTROLLER://127.0.0.1:{9292 + shift}"


def test_status_and_bootstrap_print_what_the_page_shows(kafka_cluster):
    shift = _shift(kafka_cluster)

    pids = re.compile(r"^(\s+\d\s+\w+)\s+\d+", re.M)

    def cli(*args: str) -> str:
        """The command's output without pids, with the reader's port numbers."""
        command = [sys.executable, "-m", "kafkalab", "--state-dir", str(kafka_cluster.state_dir), *args]
        out = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
        # The page shows `kafkalab up` without --registry; the schema tests may have started one on this cluster.
        out = "".join(line for line in out.splitlines(keepends=True) if not line.startswith("schema registry: "))
        return re.sub(r"\b\d{4,5}\b", lambda m: str(int(m.group()) - shift), pids.sub(r"\1 PID", out))

    text = PAGE.read_text()
    shown = re.search(r"`status` shows something like this.*?```text\n(.*?)```", text, re.S).group(1)
    assert cli("status") == pids.sub(r"\1 PID", shown)
    assert f"`kafkalab bootstrap` prints `{cli('bootstrap').strip()}`" in text


def _elr_feature(bootstrap_servers: str, security: dict):
    """The finalized level range of eligible.leader.replicas.version, or None when it is not finalized."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, **security)
    try:
        return admin.describe_features().get("eligible.leader.replicas.version", {}).get("finalized")
    finally:
        admin.close()


def test_eligible_leader_replicas_are_on(kafka_bootstrap):
    assert _elr_feature(kafka_bootstrap, SECURITY) == (1, 1)


def test_no_elr_formats_a_cluster_without_them(tmp_path):
    """`kafkalab up --no-elr`: a one-node cluster of its own, on ports clear of the session cluster's."""
    base = int(os.environ.get("KAFKALAB_PORT_BASE") or 29092) + 700  # clear of its schema registry (+500)
    cluster = kafkalab.Cluster(
        1, port_base=base, state_dir=tmp_path, elr=False, die_with_parent=True, log=lambda _: None
    )
    try:
        cluster.up()
        level = _elr_feature(cluster.bootstrap_servers, {})  # a PLAINTEXT cluster of its own
    finally:
        cluster.down()
    assert level in (None, (0, 0)), level


@pytest.mark.faults
def test_a_silent_broker_is_fenced_and_leaves_the_isr_after_about_four_seconds(kafka_cluster, kafka_topic):
    """A paused follower stops heartbeating and fetching at once: fencing (4 s) comes long before the 8 s lag
    limit, and the controller takes the fenced broker out of the ISR with it."""
    state = kafka_cluster.partition(kafka_topic)
    follower = next(r for r in state.replicas if r != state.leader)
    kafka_cluster.pause(follower)
    paused = time.monotonic()
    try:
        wait_until(lambda: follower not in kafka_cluster.isr(kafka_topic), 15, "the paused follower leaves the ISR")
        left_isr = time.monotonic() - paused
        wait_until(lambda: follower not in kafka_cluster.registered_brokers(), 15, "the paused follower is fenced")
        fenced = time.monotonic() - paused
    finally:
        kafka_cluster.resume(follower)
        kafka_cluster.wait_healthy(timeout=90)
    assert 3.0 <= left_isr <= 6.0, f"left the ISR after {left_isr:.1f}s"
    assert 3.0 <= fenced <= 6.5, f"fenced after {fenced:.1f}s"


def _makefile() -> dict[str, tuple[list[str], str]]:
    """target -> (prerequisites, recipe) of the rules in the Makefile."""
    rules = {}
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    for match in re.finditer(r"^([\w$()./-]+):(?!=)([^\n]*)\n((?:\t[^\n]*\n?)*)", text, re.M):
        rules[match.group(1)] = (match.group(2).split(), match.group(3))
    return rules


def test_make_serve_installs_starts_runs_stale_labs_and_serves():
    rules = _makefile()
    serve = rules["serve"][1]
    assert rules["serve"][0] == ["up", "vendor"] and "mkdocs serve" in serve
    assert "$(STALE_LABS)" in serve and "setsid" in serve and "$(LABS_LOG)" in serve, "stale labs in the background"
    assert serve.index("& labs=$$!") < serve.index("mkdocs serve"), "the labs start first, the server does not wait"
    assert "trap" in serve and "kill -TERM -- -$$labs" in serve, "stopping the server stops the labs"
    assert rules["labs"][0] == ["up"] and "$(STALE_LABS)" in rules["labs"][1]
    makefile = (ROOT / "Makefile").read_text()
    assert "-nt $$nb" in makefile.split("STALE_LABS =", 1)[1].split("\n\n", 1)[0], "only labs whose notebook changed"
    assert "LABS_LOG  ?= .cache/labs-serve.log" in makefile
    assert rules["up"][0] == ["runtime"] and "kafkalab bootstrap" in rules["up"][1] and "kafkalab up" in rules["up"][1]
    assert rules["runtime"][0] == ["install"] and "kafkalab fetch" in rules["runtime"][1]
    assert 'pip install --quiet -e ".[dev]"' in rules["$(VENV)/.installed"][1]
    assert "npm pack" in rules["$(VENDOR_STAMP)"][1], "vendor needs npm"
    assert "PYTHON ?= python3.11" in makefile and "MKDOCS_ADDR ?= 127.0.0.1:8000" in makefile


def test_make_test_lints_and_runs_the_suite_and_make_down_stops_the_cluster():
    rules = _makefile()
    assert rules["test"][0] == ["runtime", "lint", "vendor"] and "$(BIN)/pytest" in rules["test"][1]
    assert "ruff check" in rules["lint"][1] and "ruff format --check" in rules["lint"][1]
    assert "kafkalab down" in rules["down"][1]
    assert "chromium" in rules["system-deps"][1], "the browser tests drive Debian's Chromium"
    assert 'testpaths = ["tests", "examples"]' in (ROOT / "pyproject.toml").read_text(), "every test and example"


def test_every_example_reads_the_bootstrap_servers_with_the_same_fallback():
    python = [p for p in (ROOT / "examples").rglob("[0-9][0-9]_*.py")]
    java = list((ROOT / "examples" / "java" / "src" / "main").rglob("*.java"))
    assert python and java
    for path in python:
        assert 'os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")' in path.read_text(), path
    readers = [p for p in java if '"KAFKA_BOOTSTRAP_SERVERS"' in p.read_text()]  # code, not a comment naming it
    assert readers
    for path in readers:
        assert 'getOrDefault("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")' in path.read_text(), path


# Files that connect with settings of their own on purpose: the secured cluster's logins and ACLs (the
# authorization error), the security page's one configuration per mechanism, the TLS cost benchmark.
OWN_SETTINGS = {
    "examples/production/error-handling/22_not_authorized_confluent_kafka.py",
    "examples/production/error-handling/23_not_authorized_kafka_python.py",
    "examples/operations/security/01_tls.py",
    "examples/operations/security/02_mtls.py",
    "examples/operations/security/03_scram.py",
    "examples/operations/security/04_oauthbearer.py",
    "examples/operations/security/test_security_examples.py",
    "benchmarks/tls_cost.py",
}


def _spreads_security(spread: ast.expr) -> bool:
    """`**SECURITY`, `**CONFLUENT_SECURITY`... or `**client_settings(...)`."""
    if isinstance(spread, ast.Name | ast.Attribute):
        return (spread.id if isinstance(spread, ast.Name) else spread.attr).upper().endswith("SECURITY")
    if isinstance(spread, ast.Call):
        func = spread.func
        return (func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")) == "client_settings"
    return False


def clients_without_security(source: str) -> list[int]:
    """Lines of `source` that configure a client for a cluster (a "bootstrap.servers" key or a
    bootstrap_servers= argument, other than a literal address that no broker answers) without spreading
    the settings of $KAFKA_CLIENT_CONFIG into it."""
    missing = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            pairs = list(zip(node.keys, node.values, strict=True))
            spreads = [v for k, v in pairs if k is None]
            addresses = [v for k, v in pairs if isinstance(k, ast.Constant) and k.value == "bootstrap.servers"]
        elif isinstance(node, ast.Call):
            spreads = [k.value for k in node.keywords if k.arg is None]
            addresses = [k.value for k in node.keywords if k.arg == "bootstrap_servers"]
        else:
            continue
        wanted = [a for a in addresses if not isinstance(a, ast.Constant)]
        if wanted and not any(map(_spreads_security, spreads)):
            missing.append(node.lineno)
    return sorted(missing)


def test_the_contract_checker_finds_a_client_without_the_settings():
    plain = 'Producer({"bootstrap.servers": B})\nKafkaProducer(bootstrap_servers=B)\n'
    assert clients_without_security(plain) == [1, 2]
    assert clients_without_security('Producer({"bootstrap.servers": B, **SECURITY})') == []
    assert clients_without_security('KafkaProducer(bootstrap_servers=B, **kafkalab.client_settings("aiokafka"))') == []
    assert clients_without_security('Producer({"bootstrap.servers": "127.0.0.1:1"})') == []


def test_every_example_spreads_the_client_config_into_every_client():
    """The connection contract: every client an example, a test or a lab makes honours $KAFKA_CLIENT_CONFIG."""
    files = [p for p in (ROOT / "examples").rglob("*.py") if "java" not in p.parts]
    files += list((ROOT / "notebooks").rglob("*.py")) + list((ROOT / "benchmarks").rglob("*.py"))
    missing = {
        str(p.relative_to(ROOT)): lines
        for p in files
        if str(p.relative_to(ROOT)) not in OWN_SETTINGS
        for lines in [clients_without_security(p.read_text())]
        if lines
    }
    assert missing == {}
