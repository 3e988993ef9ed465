"""MkDocs hook: the producer defaults table of the configuration reference, read from the installed clients.

A page that contains the line ``<!-- producer-defaults -->`` gets it replaced by a Markdown table whose
values come, at every build, from:

- the Java client: ``ProducerDefaults.java`` (next to this file) run by the JDK's single-file source
  launcher against the kafka-clients jars that kafkalab resolved (one JVM per build);
- librdkafka: the shared library bundled in the confluent-kafka wheel, read through ctypes with
  ``rd_kafka_conf_get()`` / ``rd_kafka_topic_conf_get()`` on fresh configuration objects, so that the
  Java-style aliases (``linger.ms``, ``acks``, ...) resolve exactly as they do for a user;
- kafka-python: ``KafkaProducer.DEFAULT_CONFIG``.

The reference's claims (``reference_claims.yml``) are only compared, never shown as defaults. Any
source that cannot be read stops the build with an explanation: the table never has an empty column.
"""

import ctypes
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from mkdocs.exceptions import PluginError

MARKER = "<!-- producer-defaults -->"
HERE = Path(__file__).resolve().parent
JAVA_SOURCE = HERE / "ProducerDefaults.java"
CLAIMS_FILE = HERE / "reference_claims.yml"

NO_EQUIVALENT = "*no equivalent*"
WRONG = "✗"
RIGHT = "✓"

# librdkafka's rd_kafka_conf_res_t
CONF_UNKNOWN = -2


class DefaultsError(PluginError):
    """A client's defaults could not be read: the build stops rather than show a gap."""


@dataclass(frozen=True)
class Setting:
    """One row: the Java name, its equivalents in the other clients, and how values compare.

    ``librdkafka`` lists equivalent property names (empty: none); the first one is compared, after
    multiplying by ``librdkafka_scale`` (its unit differs from Java's). ``kafka_python`` is the
    ``DEFAULT_CONFIG`` key, or None. ``kind`` selects the normalisation in :func:`normalize`.
    ``unlike`` names clients whose nearest setting is another kind of limit: shown, never compared.
    ``note`` is added to the Check cell.
    """

    java: str
    librdkafka: tuple[str, ...]
    kafka_python: str | None
    kind: str = "int"
    librdkafka_scale: int = 1
    unlike: tuple[str, ...] = ()
    note: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("acks", ("acks",), "acks", kind="acks"),
    Setting("enable.idempotence", ("enable.idempotence",), "enable_idempotence", kind="bool"),
    Setting("retries", ("retries",), "retries", kind="retries"),
    Setting("retry.backoff.ms", ("retry.backoff.ms",), "retry_backoff_ms"),
    Setting("retry.backoff.max.ms", ("retry.backoff.max.ms",), None),
    Setting("delivery.timeout.ms", ("delivery.timeout.ms",), "delivery_timeout_ms"),
    Setting("request.timeout.ms", ("request.timeout.ms",), "request_timeout_ms"),
    Setting("linger.ms", ("linger.ms",), "linger_ms"),
    Setting("batch.size", ("batch.size",), "batch_size"),
    Setting(
        "buffer.memory",
        ("queue.buffering.max.kbytes", "queue.buffering.max.messages"),
        None,
        librdkafka_scale=1024,
        unlike=("librdkafka",),
        note=(
            "not the same limit: Java counts bytes of record batches and blocks `send()` up to `max.block.ms`; "
            "librdkafka counts queued messages and payload KiB and raises `BufferError` at once; "
            "kafka-python has no bound ([below](#batching-and-the-send-buffer))"
        ),
    ),
    Setting(
        "max.block.ms",
        (),
        "max_block_ms",
        note="in kafka-python it bounds only waits for metadata (and `init_transactions()`), never for memory",
    ),
    Setting("max.request.size", ("message.max.bytes",), "max_request_size"),
    Setting(
        "max.in.flight.requests.per.connection",
        ("max.in.flight.requests.per.connection",),
        "max_in_flight_requests_per_connection",
    ),
    Setting("compression.type", ("compression.type",), "compression_type", kind="compression"),
    Setting("transactional.id", ("transactional.id",), "transactional_id", kind="text"),
    Setting("transaction.timeout.ms", ("transaction.timeout.ms",), "transaction_timeout_ms"),
    Setting("partitioner.class", ("partitioner",), "partitioner", kind="text"),
    Setting("client.id", ("client.id",), "client_id", kind="text"),
)


# --- reading the clients ----------------------------------------------------------------------


def java_defaults() -> tuple[str, dict[str, str]]:
    """(kafka-clients version, {property: default as Java prints it}) from one JVM run."""
    from kafkalab import KafkalabError
    from kafkalab.tools import run_tool

    try:  # against the kafka-clients jars; no Java, no jars, or a run past 180 s is an error here
        out = run_tool(JAVA_SOURCE, part="clients", timeout=180, check=False)
    except KafkalabError as exc:
        raise DefaultsError(f"cannot read the Java client's producer defaults: {exc}") from exc
    if out.returncode != 0:
        raise DefaultsError(
            f"{JAVA_SOURCE.name} failed (exit {out.returncode}); running a .java file needs a JDK, "
            f"not only a JRE:\n{out.stderr}"
        )
    values: dict[str, str] = {}
    for line in out.stdout.splitlines():
        name, sep, value = line.partition("\t")
        if not sep:
            raise DefaultsError(f"unexpected line from {JAVA_SOURCE.name}: {line!r}")
        values[name] = value
    version = values.pop("#version", "")
    if not version or not values:
        raise DefaultsError(f"{JAVA_SOURCE.name} printed no version or no settings:\n{out.stdout}")
    return version, values


def find_librdkafka() -> Path:
    """The librdkafka shared library that the installed confluent-kafka wheel bundles."""
    import confluent_kafka

    package = Path(confluent_kafka.__file__).resolve().parent
    places = [
        (package.parent / "confluent_kafka.libs", "librdkafka*.so*"),  # Linux wheels (auditwheel)
        (package / ".dylibs", "librdkafka*.dylib"),  # macOS wheels (delocate)
        (package.parent / "confluent_kafka.libs", "librdkafka*.dll"),  # Windows wheels (delvewheel)
    ]
    for folder, pattern in places:
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    looked = ", ".join(f"{folder}/{pattern}" for folder, pattern in places)
    raise DefaultsError(
        f"cannot find the librdkafka bundled with confluent-kafka {confluent_kafka.__version__} "
        f"(looked for {looked}); the librdkafka column cannot be read"
    )


class Librdkafka:
    """ctypes access to the configuration API of librdkafka (signatures as in rdkafka.h)."""

    def __init__(self, path: Path | None = None):
        import confluent_kafka

        self.path = path or find_librdkafka()
        try:
            lib = ctypes.CDLL(str(self.path))
        except OSError as exc:
            raise DefaultsError(f"cannot load {self.path}: {exc}") from exc
        size_p = ctypes.POINTER(ctypes.c_size_t)
        lib.rd_kafka_version_str.restype = ctypes.c_char_p
        lib.rd_kafka_version_str.argtypes = []
        lib.rd_kafka_conf_new.restype = ctypes.c_void_p
        lib.rd_kafka_conf_new.argtypes = []
        lib.rd_kafka_conf_destroy.restype = None
        lib.rd_kafka_conf_destroy.argtypes = [ctypes.c_void_p]
        lib.rd_kafka_topic_conf_new.restype = ctypes.c_void_p
        lib.rd_kafka_topic_conf_new.argtypes = []
        lib.rd_kafka_topic_conf_destroy.restype = None
        lib.rd_kafka_topic_conf_destroy.argtypes = [ctypes.c_void_p]
        for getter in (lib.rd_kafka_conf_get, lib.rd_kafka_topic_conf_get):
            getter.restype = ctypes.c_int
            getter.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, size_p]
        for setter in (lib.rd_kafka_conf_set, lib.rd_kafka_topic_conf_set):
            setter.restype = ctypes.c_int
            setter.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
        self._lib = lib
        self.version = lib.rd_kafka_version_str().decode()
        expected = confluent_kafka.libversion()[0]
        if self.version != expected:
            raise DefaultsError(
                f"{self.path} is librdkafka {self.version}, but confluent-kafka runs librdkafka {expected}"
            )

    def _get(self, getter, conf: int, name: str) -> str | None:
        size = ctypes.c_size_t(0)
        if getter(conf, name.encode(), None, ctypes.byref(size)) == CONF_UNKNOWN:
            return None
        buf = ctypes.create_string_buffer(max(size.value, 1))
        getter(conf, name.encode(), buf, ctypes.byref(size))
        return buf.value.decode()

    def knows(self, name: str) -> bool:
        """Whether librdkafka accepts ``name`` (a property or an alias), global or topic-level."""
        lib = self._lib
        err = ctypes.create_string_buffer(512)
        conf, tconf = lib.rd_kafka_conf_new(), lib.rd_kafka_topic_conf_new()
        try:
            return (
                lib.rd_kafka_conf_set(conf, name.encode(), b"", err, len(err)) != CONF_UNKNOWN
                or lib.rd_kafka_topic_conf_set(tconf, name.encode(), b"", err, len(err)) != CONF_UNKNOWN
            )
        finally:
            lib.rd_kafka_conf_destroy(conf)
            lib.rd_kafka_topic_conf_destroy(tconf)

    def defaults(self, names: list[str]) -> dict[str, str | None]:
        """{name: default} from fresh configuration objects; None: known but unset (no default)."""
        lib = self._lib
        conf, tconf = lib.rd_kafka_conf_new(), lib.rd_kafka_topic_conf_new()
        try:
            values: dict[str, str | None] = {}
            for name in names:
                value = self._get(lib.rd_kafka_conf_get, conf, name)
                if value is None:
                    value = self._get(lib.rd_kafka_topic_conf_get, tconf, name)
                if value is None and not self.knows(name):
                    raise DefaultsError(f"librdkafka {self.version} has no property {name!r}: update SETTINGS")
                values[name] = value
            return values
        finally:
            lib.rd_kafka_conf_destroy(conf)
            lib.rd_kafka_topic_conf_destroy(tconf)


def kafka_python_defaults() -> tuple[str, dict[str, Any]]:
    with warnings.catch_warnings():  # kafka-python 3.0 loads its schemas with a deprecated importlib API
        warnings.simplefilter("ignore", DeprecationWarning)
        import kafka

    return kafka.__version__, dict(kafka.KafkaProducer.DEFAULT_CONFIG)


def load_claims(path: Path = CLAIMS_FILE) -> dict[str, dict[str, Any]]:
    return yaml.safe_load(path.read_text())["claims"]


# --- comparing ----------------------------------------------------------------------------------


def normalize(kind: str, value: Any) -> Any:
    """A value in a form comparable across clients (Java's meaning); None means unset."""
    if kind == "text":
        return None if value is None or str(value) in ("", "null") else str(value)
    if kind == "acks":
        text = str(value).lower()
        return "all" if text == "-1" else text
    if kind == "bool":
        return str(value).lower() in ("true", "1")
    if kind == "compression":
        return "none" if value is None else str(value).lower()
    if kind == "retries":
        # Java's Integer.MAX_VALUE and kafka-python's float('inf') both mean: until delivery.timeout.ms.
        number = float(value)
        return "unbounded" if math.isinf(number) or number >= 2**31 - 1 else int(number)
    if kind == "int":
        return int(value)
    raise ValueError(f"unknown kind {kind!r}")


def python_display(value: Any) -> str:
    if value is None or isinstance(value, bool | str | int | float):
        return repr(value)
    return type(value).__name__  # e.g. the DefaultPartitioner instance


@dataclass
class Row:
    setting: Setting
    java: str
    librdkafka: dict[str, str | None]  # empty: no equivalent
    librdkafka_java_name: bool  # librdkafka accepts the Java name itself
    kafka_python: Any
    claim: dict[str, Any] | None

    def normalized(self) -> dict[str, Any]:
        """{client label: comparable value} for the clients that have the setting."""
        s = self.setting
        out = {"Java": normalize(s.kind, self.java)}
        if s.librdkafka:
            raw = self.librdkafka[s.librdkafka[0]]
            if s.librdkafka_scale != 1 and raw is not None:
                raw = int(raw) * s.librdkafka_scale
            out["librdkafka"] = normalize(s.kind, raw)
        if s.kafka_python is not None:
            out["kafka-python"] = normalize(s.kind, self.kafka_python)
        return out

    def compared(self) -> dict[str, Any]:
        """normalized(), less the clients whose setting is another kind of limit."""
        return {client: v for client, v in self.normalized().items() if client not in self.setting.unlike}

    def wrong_for(self) -> list[str]:
        """Clients whose default is not what the reference claims."""
        if self.claim is None:
            return []
        claimed = normalize(self.setting.kind, self.claim["value"])
        return [client for client, value in self.compared().items() if value != claimed]

    def clients_differ(self) -> bool:
        return len({repr(v) for v in self.compared().values()}) > 1


def collect() -> tuple[dict[str, str], list[Row]]:
    """({client: version}, rows), reading every source once per build."""
    if "collected" not in _CACHE:
        _CACHE["collected"] = _collect()
    return _CACHE["collected"]


_CACHE: dict[str, Any] = {}


def _collect() -> tuple[dict[str, str], list[Row]]:
    import confluent_kafka

    java_version, java = java_defaults()
    rdk = Librdkafka()
    kp_version, kp = kafka_python_defaults()
    claims = load_claims()
    unknown_claims = set(claims) - {s.java for s in SETTINGS}
    if unknown_claims:
        raise DefaultsError(f"{CLAIMS_FILE.name} claims settings the table lacks: {sorted(unknown_claims)}")
    rows = []
    for s in SETTINGS:
        if s.java not in java:
            raise DefaultsError(f"kafka-clients {java_version} has no producer setting {s.java!r}")
        if s.kafka_python is not None and s.kafka_python not in kp:
            raise DefaultsError(f"kafka-python {kp_version} has no setting {s.kafka_python!r}")
        accepts_java_name = rdk.knows(s.java)
        if accepts_java_name and s.librdkafka[:1] != (s.java,):
            raise DefaultsError(f"librdkafka accepts {s.java!r} itself: make it the librdkafka equivalent")
        rows.append(
            Row(
                setting=s,
                java=java[s.java],
                librdkafka=rdk.defaults(list(s.librdkafka)),
                librdkafka_java_name=accepts_java_name,
                kafka_python=kp[s.kafka_python] if s.kafka_python else None,
                claim=claims.get(s.java),
            )
        )
    versions = {
        "Java": java_version,
        "librdkafka": rdk.version,
        "confluent-kafka": confluent_kafka.__version__,
        "kafka-python": kp_version,
    }
    return versions, rows


# --- rendering ----------------------------------------------------------------------------------


def _code(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`" if text else '`""`'


def _mark(row: Row, client: str) -> str:
    return f" {WRONG}" if client in row.wrong_for() else ""


def _librdkafka_cell(row: Row) -> str:
    if not row.setting.librdkafka:
        return NO_EQUIVALENT
    parts = []
    for name, value in row.librdkafka.items():
        shown = "unset" if value is None else _code(value)
        parts.append(shown if row.librdkafka_java_name else f"{shown} (`{name}`)")
    return "<br>".join(parts) + _mark(row, "librdkafka")


def _kafka_python_cell(row: Row) -> str:
    if row.setting.kafka_python is None:
        return NO_EQUIVALENT
    return f"{_code(python_display(row.kafka_python))} (`{row.setting.kafka_python}`)" + _mark(row, "kafka-python")


def _check_cell(row: Row) -> str:
    notes = []
    if row.claim is None:
        notes.append("not in the reference")
    elif row.wrong_for():
        notes.append(f"{WRONG} reference wrong for " + ", ".join(row.wrong_for()))
    else:
        notes.append(f"{RIGHT} reference right")
    if row.clients_differ():
        notes.append("clients differ")
    if row.setting.note:
        notes.append(row.setting.note)
    return "; ".join(notes)


def render_table(versions: dict[str, str], rows: list[Row]) -> str:
    header = (
        f"| Property (Java name) | Java {versions['Java']} "
        f"| librdkafka {versions['librdkafka']} (confluent-kafka {versions['confluent-kafka']}) "
        f"| kafka-python {versions['kafka-python']} | Reference says | Check |"
    )
    lines = [header, "|---|---|---|---|---|---|"]
    for row in rows:
        claim = row.claim["as_written"] if row.claim else "—"
        lines.append(
            f"| `{row.setting.java}` | {_code(row.java)}{_mark(row, 'Java')} | {_librdkafka_cell(row)} "
            f"| {_kafka_python_cell(row)} | {claim} | {_check_cell(row)} |"
        )
    return "\n".join(lines) + "\n"


# --- MkDocs events ------------------------------------------------------------------------------


def on_pre_build(config, **kwargs) -> None:
    _CACHE.clear()  # re-read the clients once per build (mkdocs serve rebuilds)


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    if MARKER not in markdown:
        return markdown
    table = render_table(*collect())
    return "\n".join(table if line.strip() == MARKER else line for line in markdown.split("\n"))
