"""The configuration reference's defaults table (docs/hooks/producer_defaults.py) says what the clients say.

Each client is read here a second way, independent of the hook: the Java client through the HTML
documentation its ProducerConfig prints, librdkafka through rd_kafka_conf_dump() and through what a
confluent-kafka Producer does, kafka-python through KafkaProducer.DEFAULT_CONFIG.
"""

import ctypes
import html
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer
from kafka import KafkaProducer

from kafkalab.runtime import resolved
from kafkalab.tools import run_tool

ROOT = Path(__file__).parents[2]
HOOK = ROOT / "docs" / "hooks" / "producer_defaults.py"
PAGE = ROOT / "docs" / "reference" / "configuration.md"

# The reference's "Key Configuration" table, plus settings the page discusses.
REQUIRED = [
    "acks",
    "retries",
    "retry.backoff.ms",
    "delivery.timeout.ms",
    "batch.size",
    "linger.ms",
    "buffer.memory",
    "max.block.ms",
    "max.in.flight.requests.per.connection",
    "compression.type",
    "enable.idempotence",
    "transactional.id",
    "request.timeout.ms",
    "max.request.size",
    "partitioner.class",
    "client.id",
]
# librdkafka's own names for the aliases the hook asks it about: the dump only lists these.
LIBRDKAFKA_CANONICAL = {
    "acks": "request.required.acks",
    "retries": "message.send.max.retries",
    "linger.ms": "queue.buffering.max.ms",
    "delivery.timeout.ms": "message.timeout.ms",
    "compression.type": "compression.codec",
}
CLIENTS = ("Java", "librdkafka", "kafka-python")


@pytest.fixture(scope="module")
def collected(hook):
    return hook.collect()


@pytest.fixture(scope="module")
def rows(collected):
    return {row.setting.java: row for row in collected[1]}


@pytest.fixture(scope="module")
def table(hook, collected) -> dict[str, dict[str, str]]:
    """The rendered Markdown table: {property: {column header: cell}}."""
    lines = [ln for ln in hook.render_table(*collected).splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert set(lines[1].strip("|").split("|")) == {"---"}
    parsed = {}
    for line in lines[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))]
        assert len(cells) == len(header), line
        parsed[cells[0].strip("`")] = dict(zip(header, cells, strict=True))
    return parsed


def _column(table, client: str) -> str:
    headers = next(iter(table.values())).keys()
    return next(h for h in headers if h.startswith(client + " "))


@pytest.fixture(scope="module")
def java_doc_defaults() -> tuple[str, dict[str, str]]:
    """The Java client's documentation of its producer configs (ProducerConfig.main prints it)."""
    out = run_tool("ProducerConfig", timeout=120).stdout
    found = re.findall(r'id="producerconfigs_([\w.]+)".*?<th>Default:</th><td>(.*?)</td>', out, re.S)
    # "1000 (1 second)": the documentation adds a readable unit to some numbers
    return out, {name: re.sub(r"^(-?\d+) \(.*\)$", r"\1", html.unescape(value)) for name, value in found}


@pytest.fixture(scope="module")
def librdkafka_dump(hook) -> dict[str, str]:
    """Every property librdkafka sets on fresh global and topic configurations, by its own name."""
    lib = ctypes.CDLL(str(hook.find_librdkafka()))
    kinds = (
        ("rd_kafka_conf_new", "rd_kafka_conf_dump", "rd_kafka_conf_destroy"),
        ("rd_kafka_topic_conf_new", "rd_kafka_topic_conf_dump", "rd_kafka_topic_conf_destroy"),
    )
    for new, dump, destroy in kinds:
        getattr(lib, new).restype = ctypes.c_void_p
        getattr(lib, dump).restype = ctypes.POINTER(ctypes.c_char_p)
        getattr(lib, dump).argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)]
        getattr(lib, destroy).argtypes = [ctypes.c_void_p]
    lib.rd_kafka_conf_dump_free.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t]
    values = {}
    for new, dump, destroy in kinds:
        conf = getattr(lib, new)()
        count = ctypes.c_size_t()
        arr = getattr(lib, dump)(conf, ctypes.byref(count))
        pairs = [arr[i].decode() for i in range(count.value)]
        lib.rd_kafka_conf_dump_free(arr, count)
        getattr(lib, destroy)(conf)
        for key, value in zip(pairs[::2], pairs[1::2], strict=True):
            values.setdefault(key, value)  # global compression.codec wins over the topic's "inherit"
    return values


def test_one_row_per_setting_and_three_client_columns(hook, table):
    assert list(table) == [s.java for s in hook.SETTINGS]
    assert set(REQUIRED) <= set(table)
    for setting in hook.SETTINGS:
        row = table[setting.java]
        for client, has_it in (
            ("Java", True),
            ("librdkafka", bool(setting.librdkafka)),
            ("kafka-python", setting.kafka_python is not None),
        ):
            cell = row[_column(table, client)]
            assert cell, f"{setting.java}: empty {client} cell"
            assert (cell == hook.NO_EQUIVALENT) == (not has_it), f"{setting.java}: {client} cell {cell!r}"
    # every column holds values for most settings: none of them was silently skipped
    for client in CLIENTS:
        present = [r for r in table.values() if r[_column(table, client)] != hook.NO_EQUIVALENT]
        assert len(present) >= len(table) - 3, client


def test_column_headers_name_the_installed_versions(table):
    import confluent_kafka
    import kafka

    headers = list(next(iter(table.values())))
    assert f"Java {resolved().version}" in headers
    assert f"librdkafka {confluent_kafka.libversion()[0]} (confluent-kafka {confluent_kafka.__version__})" in headers
    assert f"kafka-python {kafka.__version__}" in headers


def test_java_values_match_the_clients_own_documentation(rows, java_doc_defaults):
    _, documented = java_doc_defaults
    for name, row in rows.items():
        expected = documented[name]
        assert row.java == ("" if expected == '""' else expected), name


def test_java_documents_the_changes_the_page_reports(rows, java_doc_defaults):
    text, documented = java_doc_defaults
    assert documented["linger.ms"] == "5" == rows["linger.ms"].java
    assert "The default changed from 0 to 5 in Apache Kafka 4.0" in text
    assert "Idempotence is enabled by default if no conflicting configurations are set" in text
    assert "If conflicting configurations are set and idempotence is not explicitly enabled, idempotence is" in text
    assert "explicitly enabled and conflicting configurations are set, a <code>ConfigException" in text
    assert "waiting for both metadata fetch and buffer allocation" in text  # max.block.ms


def test_librdkafka_values_match_its_configuration_dump(hook, rows, librdkafka_dump):
    for name, row in rows.items():
        for rdk_name, value in row.librdkafka.items():
            dumped = librdkafka_dump.get(LIBRDKAFKA_CANONICAL.get(rdk_name, rdk_name))
            assert value == dumped, f"{name} -> {rdk_name}: hook {value!r}, dump {dumped!r}"
    assert rows["transactional.id"].librdkafka == {"transactional.id": None}  # unset: not in the dump
    assert "transactional.id" not in librdkafka_dump


def test_confluent_kafka_runs_the_library_the_hook_reads(hook):
    import confluent_kafka

    producer = Producer({"bootstrap.servers": "127.0.0.1:1"})
    try:
        maps = Path("/proc/self/maps").read_text()
        assert str(hook.find_librdkafka().resolve()) in maps
        assert hook.Librdkafka().version == confluent_kafka.libversion()[0]
    finally:
        producer.purge()
        producer.flush(0)


def test_librdkafka_queue_limit_is_observable_and_produce_never_waits(rows):
    """queue.buffering.max.messages from the table is where a Producer starts raising BufferError."""
    limit = int(rows["buffer.memory"].librdkafka["queue.buffering.max.messages"])
    producer = Producer({"bootstrap.servers": "127.0.0.1:1"})  # nothing listens: every message stays queued
    try:
        accepted = 0
        with pytest.raises(BufferError):
            while accepted <= limit:
                started = time.monotonic()
                producer.produce("defaults-probe", b"x")
                accepted += 1
        assert time.monotonic() - started < 1.0  # no max.block.ms: it does not wait for room
        assert accepted == limit
    finally:
        producer.purge()
        producer.flush(0)


def test_kafka_python_values_match_default_config(hook, rows):
    config = KafkaProducer.DEFAULT_CONFIG
    for name, row in rows.items():
        key = row.setting.kafka_python
        if key is None:
            continue
        assert row.kafka_python == config[key], name
    assert "buffer_memory" not in config  # the page: no buffer-size setting at all
    assert config["linger_ms"] == 0 == rows["linger.ms"].kafka_python


def test_kafka_python_conflicting_acks_turns_idempotence_off(kafka_bootstrap):
    default = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    acks_1 = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks=1)
    try:
        assert default.config["enable_idempotence"] is True
        assert default.config["acks"] == -1
        assert acks_1.config["enable_idempotence"] is False
    finally:
        default.close(timeout=10)
        acks_1.close(timeout=10)


def test_wrong_claims_are_marked_where_independent_reads_disagree(
    hook, rows, table, java_doc_defaults, librdkafka_dump
):
    _, documented = java_doc_defaults
    kp = KafkaProducer.DEFAULT_CONFIG
    claims = hook.load_claims()
    assert set(claims) <= set(rows)
    for name, claim in claims.items():
        row = rows[name]
        wrong = row.wrong_for()
        cells = table[name]
        for client in CLIENTS:
            assert cells[_column(table, client)].endswith(hook.WRONG) == (client in wrong), (name, client)
        if wrong:
            assert cells["Check"].startswith(f"{hook.WRONG} reference wrong for " + ", ".join(wrong)), name
        else:
            assert cells["Check"].startswith(hook.RIGHT), name
        # numeric settings: recompute from the independent reads
        if row.setting.kind == "int":
            independent = {"Java": int(documented[name])}
            if row.setting.librdkafka:
                rdk = row.setting.librdkafka[0]
                raw = librdkafka_dump[LIBRDKAFKA_CANONICAL.get(rdk, rdk)]
                independent["librdkafka"] = int(raw) * row.setting.librdkafka_scale
            if row.setting.kafka_python:
                independent["kafka-python"] = kp[row.setting.kafka_python]
            compared = {c: v for c, v in independent.items() if c not in row.setting.unlike}
            assert wrong == [c for c, v in compared.items() if v != claim["value"]], name
    # the claims the page text singles out
    assert rows["linger.ms"].wrong_for() == ["Java", "librdkafka"]
    assert rows["delivery.timeout.ms"].wrong_for() == ["librdkafka"]
    assert librdkafka_dump["enable.idempotence"] == "false" and documented["enable.idempotence"] == "true"
    assert kp["enable_idempotence"] is True
    assert rows["enable.idempotence"].wrong_for() == ["librdkafka"]
    assert rows["enable.idempotence"].clients_differ()


def test_buffer_memory_row_says_the_limits_are_of_different_kinds(hook, rows, table):
    """librdkafka's queue limits are shown but not compared with buffer.memory, and the row says why."""
    row, cells = rows["buffer.memory"], table["buffer.memory"]
    assert row.setting.unlike == ("librdkafka",)
    assert row.normalized()["librdkafka"] == 1024 * 1024 * 1024 != row.normalized()["Java"] == 33554432
    assert row.wrong_for() == [] and not row.clients_differ()
    assert not cells[_column(table, "librdkafka")].endswith(hook.WRONG)
    assert "`1048576` (`queue.buffering.max.kbytes`)" in cells[_column(table, "librdkafka")]
    assert "`100000` (`queue.buffering.max.messages`)" in cells[_column(table, "librdkafka")]
    assert cells[_column(table, "kafka-python")] == hook.NO_EQUIVALENT
    assert cells["Check"].startswith(f"{hook.RIGHT} reference right; not the same limit: Java counts bytes")
    assert "raises `BufferError` at once" in cells["Check"] and "kafka-python has no bound" in cells["Check"]
    assert "bounds only waits for metadata" in table["max.block.ms"]["Check"]


def test_a_client_that_cannot_be_read_stops_the_build(monkeypatch, tmp_path, load_module):
    """Never an empty column: no librdkafka found means an error that says so."""
    import confluent_kafka

    fresh = load_module("producer_defaults_missing_lib", HOOK)
    monkeypatch.setattr(confluent_kafka, "__file__", str(tmp_path / "confluent_kafka" / "__init__.py"))
    monkeypatch.setattr(fresh, "java_defaults", lambda: ("4.3.1", {}))  # spare a JVM start
    with pytest.raises(fresh.DefaultsError, match="cannot find the librdkafka bundled with confluent-kafka"):
        fresh.on_page_markdown(f"# Page\n\n{fresh.MARKER}\n", page=None, config=None, files=None)
    assert fresh.on_page_markdown("no marker here", page=None, config=None, files=None) == "no marker here"


def test_built_page_contains_the_generated_table(hook, tmp_path):
    assert hook.MARKER in PAGE.read_text()
    config = ROOT / "mkdocs.yml"
    if "producer_defaults.py" not in config.read_text():
        # until mkdocs.yml registers the hook: the same config, plus the hook
        config = tmp_path / "mkdocs.yml"
        extra = f"\ndocs_dir: {ROOT / 'docs'}\nhooks:\n  - {HOOK}\n"
        config.write_text((ROOT / "mkdocs.yml").read_text() + extra)
    site = tmp_path / "site"
    # not --strict: tests/site/test_build.py holds every page to that; this test is about one table
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--no-strict", "-f", str(config), "-d", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    page = (site / "reference" / "configuration" / "index.html").read_text()
    assert hook.MARKER not in page
    table = page[page.index("<th>Property (Java name)</th>") :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == len(hook.SETTINGS)  # body rows (the slice starts inside the header row)
    for setting in hook.SETTINGS:
        assert f"<td><code>{setting.java}</code></td>" in table
    assert "reference wrong for Java, librdkafka" in table  # linger.ms


def test_default_partitioners_place_keys_differently(kafka_bootstrap):
    """The page: librdkafka's default hashes keys differently from Java and kafka-python (murmur2);
    partitioner=murmur2_random makes confluent-kafka agree with them."""
    from kafka.partitioner.default import murmur2

    from kafkalab import new_topic

    partitions = 6
    topic = new_topic(kafka_bootstrap, "config-partitioner", partitions=partitions)
    keys = [f"key-{i}".encode() for i in range(24)]

    def partitions_with(extra: dict) -> dict[bytes, int]:
        placed = {}

        def on_delivery(err, msg):
            assert err is None, err
            placed[msg.key()] = msg.partition()

        producer = Producer({"bootstrap.servers": kafka_bootstrap, **extra})
        for key in keys:
            producer.produce(topic, key=key, value=b"v", on_delivery=on_delivery)
        assert producer.flush(30) == 0
        return placed

    murmur2_placement = {key: (murmur2(key) & 0x7FFFFFFF) % partitions for key in keys}
    by_default = partitions_with({})
    by_murmur2 = partitions_with({"partitioner": "murmur2_random"})
    assert len(by_default) == len(by_murmur2) == len(keys)
    assert by_murmur2 == murmur2_placement
    assert by_default != murmur2_placement


# --- conflicts with idempotence (the page's "Idempotence and acks") -------------------------------

JAVA_PROBES = Path(__file__).parent


def _run_java_probe(source: str, *args: str, timeout: float = 120) -> dict[str, str]:
    """Run a single-file Java probe next to this test against the kafka-clients jars; {key: value} lines."""
    out = run_tool(JAVA_PROBES / source, *args, part="clients", timeout=timeout)  # fails with its stderr
    return dict(line.split("\t", 1) for line in out.stdout.splitlines())


def test_java_conflicts_with_defaulted_idempotence(rows):
    """acks other than all and retries=0 turn defaulted idempotence off without an error; more than 5
    requests in flight is a ConfigException even then. With idempotence asked for, all three are errors."""
    assert rows["enable.idempotence"].java == "true"
    seen = _run_java_probe("IdempotenceConflicts.java")
    in_flight = (
        "ConfigException: To use the idempotent producer, max.in.flight.requests.per.connection must be set "
        "to at most 5. Current value is 6."
    )
    acks = "ConfigException: Must set acks to all in order to use the idempotent producer."
    assert seen == {
        "enable.idempotence=default none": "idempotent",
        "enable.idempotence=default acks=1": "not idempotent",
        "enable.idempotence=default acks=0": "not idempotent",
        "enable.idempotence=default retries=0": "not idempotent",
        "enable.idempotence=default max.in.flight=6": in_flight,
        "enable.idempotence=true none": "idempotent",
        "enable.idempotence=true acks=1": acks + " Otherwise we cannot guarantee idempotence.",
        "enable.idempotence=true acks=0": acks + " Otherwise we cannot guarantee idempotence.",
        "enable.idempotence=true retries=0": "ConfigException: Must set retries to non-zero when using the "
        "idempotent producer.",
        "enable.idempotence=true max.in.flight=6": in_flight,
    }


@pytest.mark.parametrize(
    "conflict",
    [{"acks": 1}, {"acks": 0}, {"retries": 0}, {"max_in_flight_requests_per_connection": 6}],
    ids=["acks=1", "acks=0", "retries=0", "max_in_flight=6"],
)
def test_kafka_python_conflicts_with_defaulted_idempotence(kafka_bootstrap, conflict):
    """kafka-python 3.0 turns defaulted idempotence off for all three conflicts, more than 5 in flight
    included (where Java refuses); asked for explicitly, it raises."""
    from kafka.errors import KafkaConfigurationError

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap.split(","), **conflict)
    try:
        assert producer.config["enable_idempotence"] is False
    finally:
        producer.close(timeout=10)
    with pytest.raises(KafkaConfigurationError, match="enable_idempotence=True is incompatible with user-provided"):
        KafkaProducer(bootstrap_servers=kafka_bootstrap.split(","), enable_idempotence=True, **conflict)


WARNING_PROBE = """
import gc, logging, sys
from kafka import KafkaProducer
records = []
handler = logging.Handler()
handler.emit = records.append
logging.getLogger("kafka.producer.kafka").addHandler(handler)
def warned(bootstrap):
    before = len(records)
    producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks=1)
    assert producer.config["enable_idempotence"] is False
    producer.close(timeout=10)
    del producer
    gc.collect()
    return any("Idempotence will be disabled" in r.getMessage() for r in records[before:])
print(warned(sys.argv[1]), warned(sys.argv[1]))
"""


def test_kafka_python_warns_only_until_a_producer_is_garbage_collected(kafka_bootstrap):
    """The warning that idempotence was turned off is logged by the first producer of a process only:
    KafkaProducer.__del__ replaces the module's logger with a null logger for every later producer."""
    out = subprocess.run(
        [sys.executable, "-c", WARNING_PROBE, kafka_bootstrap], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["True", "False"], out.stderr[-2000:]


# --- buffer.memory: three different kinds of limit --------------------------------------------------


@pytest.fixture
def throttled_client_id(kafka_bootstrap):
    """A client.id the brokers throttle to 1 kB/s (producer_byte_rate), so a producer's buffer never drains."""
    client_id = f"throttled-{uuid.uuid4().hex[:8]}"
    assert _run_java_probe("Throttle.java", "quota", kafka_bootstrap, client_id, "1024") == {"quota": "1024"}
    yield client_id
    assert _run_java_probe("Throttle.java", "quota", kafka_bootstrap, client_id, "none") == {"quota": "none"}


@pytest.mark.timeout(240)
def test_java_full_buffer_blocks_send_then_fails_the_record(rows, kafka_topic, kafka_bootstrap, throttled_client_id):
    """buffer.memory is memory for record batches; when it is used up, send() blocks for max.block.ms
    and then does not throw: the record fails with BufferExhaustedException in its future and callback."""
    assert rows["buffer.memory"].java == "33554432" and rows["max.block.ms"].java == "60000"
    seen = _run_java_probe("Throttle.java", "fill", kafka_bootstrap, kafka_topic, throttled_client_id, timeout=180)
    # 10 kB records, one per 16 kB batch buffer: 1 MiB holds 64 of them (a few more were sent before throttling)
    assert 60 <= int(seen["accepted"]) <= 80, seen
    assert 1400 <= int(seen["blocked_ms"]) < 10_000, seen  # max.block.ms=1500
    assert seen["thrown"] == "nothing"
    exhausted = "org.apache.kafka.clients.producer.BufferExhaustedException: Failed to allocate 16384 bytes"
    assert seen["future"].startswith(exhausted) and "max blocking time 1500 ms" in seen["future"]
    assert seen["callback"] == seen["future"]


def test_librdkafka_queue_kbytes_counts_payload_bytes_and_produce_never_waits(rows):
    """queue.buffering.max.kbytes bounds the payload bytes queued (1 GiB by default); past it, BufferError at once."""
    assert rows["buffer.memory"].librdkafka["queue.buffering.max.kbytes"] == "1048576"  # KiB: 1 GiB
    producer = Producer({"bootstrap.servers": "127.0.0.1:1", "queue.buffering.max.kbytes": 1024})
    try:
        accepted = 0
        with pytest.raises(BufferError, match="Queue full"):
            while accepted <= 1000:
                started = time.monotonic()
                producer.produce("defaults-probe", b"x" * 10_000)
                accepted += 1
        assert time.monotonic() - started < 1.0
        assert accepted == 1024 * 1024 // 10_000  # 104 records of 10,000 bytes fit in 1 MiB, the 105th does not
    finally:
        producer.purge()
        producer.flush(0)


@pytest.mark.timeout(240)
def test_kafka_python_send_never_blocks_for_memory(kafka_topic, kafka_bootstrap, throttled_client_id):
    """kafka-python 3.0 has no buffer bound: with the broker throttling it, 40 MB (more than Java's
    32 MiB default) pile up in the producer, and no send() waits, even with max_block_ms=1500."""
    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap.split(","), client_id=throttled_client_id, max_block_ms=1500
    )
    try:
        producer.send(kafka_topic, b"first").get(timeout=30)  # metadata and connection before the clock
        value, futures, slowest = b"x" * 1000, [], 0.0
        for _ in range(40_000):
            started = time.monotonic()
            futures.append(producer.send(kafka_topic, value))
            slowest = max(slowest, time.monotonic() - started)
        pending = sum(1 for f in futures if not f.is_done)
        assert pending * len(value) > 33554432, f"only {pending} records pending"
        assert slowest < 1.5, f"a send() took {slowest:.2f} s"
    finally:
        # close(timeout=0) raises KafkaTimeoutError with records pending: lift the throttle, then drain
        _run_java_probe("Throttle.java", "quota", kafka_bootstrap, throttled_client_id, "none")
        producer.close(timeout=60)


def test_kafka_python_max_block_ms_never_waits_for_memory_whatever_its_docstrings_say():
    """The record accumulator has no memory bound and never reads max_block_ms; the docstrings
    of KafkaProducer and RecordAccumulator still describe a buffer that blocks."""
    import inspect

    import kafka.producer.kafka as producer_module
    import kafka.producer.record_accumulator as accumulator

    source = inspect.getsource(accumulator)
    assert "max_block_ms" not in source and "buffer_memory" not in source
    assert "append calls will block\n    when that memory is exhausted" in source  # RecordAccumulator's docstring
    assert "blocked either because the buffer is full or metadata unavailable" in inspect.getsource(producer_module)
    uses = re.findall(r"self\.config\['max_block_ms'\]", inspect.getsource(producer_module))
    # a wakeup_timeout_ms for the network client that nothing reads, the metadata waits of send() and
    # partitions_for(), and init_transactions() (its wait and its message)
    assert len(uses) == 5
    here = Path(producer_module.__file__)
    readers = [p for p in here.parents[1].rglob("*.py") if p != here and "wakeup_timeout" in p.read_text()]
    assert readers == []
