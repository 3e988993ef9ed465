"""What a client says, as timeline events: its log lines (`ClientLog`) and its delivery reports
(`Deliveries`), and a background poller (`Polling`) that makes a confluent-kafka producer say it when
it happens; librdkafka's statistics (`Statistics`) and errors (`ErrorCallbacks`), and a steady stream of
records (`Stream`) to watch them on.

librdkafka hands its log lines (the `logger` setting) and its delivery reports to Python only while
the application polls; kafka-python logs through the `logging` module from its sender thread and
completes each send's future there. For example, librdkafka's refusals of a produce request, the
first one labelled and its retries drawn as dots::

    log = ClientLog(timeline, "producer", [Rule(r"encountered error: (.*?) \\(actions", "refused", again="")])
    producer = Producer({"bootstrap.servers": ..., "debug": "msg", "logger": log.logger()})
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .connection import client_settings

if TYPE_CHECKING:
    from .lab import Timeline


@dataclass(frozen=True)
class Rule:
    """A log line that `pattern` (a regular expression) finds becomes an event `what`, its detail the
    pattern's first group (if it has one). `again`: the label of the rule's later events ("" draws a
    dot, keeping a retry loop from covering the picture with the same words); None repeats `what`.
    `to`: the lane the line tells of a message to (the picture draws an arrow)."""

    pattern: str
    what: str
    again: str | None = None
    to: str | None = None


class ClientLog(logging.Handler):
    """Keeps every line a client logs (`lines`) and puts the lines a rule finds on the timeline, in
    `lane`. `found[what]` lists the details of each rule's matches, in order."""

    def __init__(self, timeline: Timeline | None = None, lane: str = "client", rules: Sequence[Rule] = ()) -> None:
        super().__init__(logging.DEBUG)
        self.timeline, self.lane, self.rules = timeline, lane, list(rules)
        self.lines: list[str] = []
        self.found: dict[str, list[str]] = {rule.what: [] for rule in self.rules}
        self._compiled = [(rule, re.compile(rule.pattern)) for rule in self.rules]

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        self.lines.append(text)
        for rule, pattern in self._compiled:
            if m := pattern.search(text):
                detail = m.group(1) if pattern.groups else ""
                earlier = self.found[rule.what]
                what = rule.what if not earlier or rule.again is None else rule.again
                earlier.append(detail)
                if self.timeline is not None:
                    self.timeline.record(self.lane, what, detail, at=record.created, to=rule.to)

    def logger(self, name: str = "librdkafka") -> logging.Logger:
        """A logger of its own for a confluent-kafka client's `logger` setting: not registered with
        `logging` (so it lives as long as the client) and not passing lines on to the root logger
        (librdkafka's lines stay off stderr)."""
        logger = logging.Logger(name, logging.DEBUG)
        logger.propagate = False
        logger.addHandler(self)
        return logger

    @contextlib.contextmanager
    def attached(self, name: str) -> Iterator[ClientLog]:
        """Listen to a named logger at DEBUG for the duration (kafka-python's "kafka.producer.sender")."""
        logger = logging.getLogger(name)
        level = logger.level
        logger.addHandler(self)
        logger.setLevel(logging.DEBUG)
        try:
            yield self
        finally:
            logger.removeHandler(self)
            logger.setLevel(level)


@dataclass(frozen=True)
class Delivery:
    """One delivery report: the record's value, and its offset or the error that failed it."""

    at: float
    value: bytes | None
    offset: int | None  # None when it failed
    error: Any = None  # confluent_kafka.KafkaError, or the exception kafka-python failed the send with

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def error_name(self) -> str:
        if self.error is None:
            return ""
        name = getattr(self.error, "name", None)
        return name() if callable(name) else type(self.error).__name__

    def label(self) -> str:
        """The event's label: `order-1 acknowledged` or `order-1 failed: NOT_ENOUGH_REPLICAS`."""
        value = self.value.decode(errors="replace") if self.value is not None else "record"
        return f"{value} acknowledged" if self.ok else f"{value} failed: {self.error_name}"

    def detail(self) -> str:
        """The event's detail: `offset 4`, or what the error says."""
        if self.ok:
            return f"offset {self.offset}"
        text = getattr(self.error, "str", None)
        return text() if callable(text) else repr(self.error)


class Deliveries:
    """The delivery reports of one producer, kept in order and put on the timeline as they come.

    For confluent-kafka pass the object itself as `on_delivery`; for kafka-python hand it each send's
    future with `track(future, value)`. `to`: the lane the report goes to, if it is drawn as a message
    (from the client to the application, say)."""

    def __init__(self, timeline: Timeline | None = None, lane: str = "producer", to: str | None = None) -> None:
        self.timeline, self.lane, self.to = timeline, lane, to
        self.reports: list[Delivery] = []
        self._lock = threading.Lock()

    def __call__(self, err: Any, msg: Any) -> None:
        self.add(Delivery(time.time(), msg.value(), msg.offset() if err is None else None, err))

    def track(self, future: Any, value: bytes) -> Any:
        """Report a kafka-python send (its FutureRecordMetadata) when it completes; returns the future."""
        future.add_callback(lambda metadata: self.add(Delivery(time.time(), value, metadata.offset)))
        future.add_errback(lambda exc: self.add(Delivery(time.time(), value, None, exc)))
        return future

    def add(self, delivery: Delivery) -> None:
        with self._lock:
            self.reports.append(delivery)
        if self.timeline is not None:
            self.timeline.record(self.lane, delivery.label(), delivery.detail(), at=delivery.at, to=self.to)

    def first(self, timeout: float) -> Delivery | None:
        """The first report, waiting up to `timeout` seconds for it (someone must poll the producer:
        `Polling`, or flush()). None if none came."""
        deadline = time.monotonic() + timeout
        while not self.reports and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.reports[0] if self.reports else None


class Polling:
    """Serve confluent-kafka clients' callbacks (delivery reports, log lines) every `every` seconds
    from a background thread, so that each lands on the timeline when it happens: from `start()` to
    `stop()`, or as a context manager."""

    def __init__(self, *clients: Any, every: float = 0.05) -> None:
        self.clients, self.every = clients, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Polling:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def __enter__(self) -> Polling:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            for client in self.clients:
                client.poll(0)


@dataclass(frozen=True)
class Sample:
    """One statistics report of a librdkafka client (`stats_cb`), the numbers an operator graphs, and
    the whole parsed JSON (`raw`) for the rest."""

    at: float
    queued: int  # msg_cnt: records produced and not yet delivered or failed
    queued_bytes: int  # msg_size
    in_flight: int  # waitresp_cnt summed over the brokers: requests sent, response awaited
    outbuf: int  # outbuf_cnt summed: requests waiting to be sent
    retries: int  # txretries summed: requests sent again since the client started
    brokers_up: int  # brokers whose connection is in state UP
    rtt_ms: float  # the highest rtt.avg among the brokers that are UP, in milliseconds (0 when none is)
    raw: dict[str, Any]


class Statistics:
    """librdkafka's statistics, kept as `samples`: pass the object itself as `stats_cb` (with
    `statistics.interval.ms` set). Served, like every callback, from poll() (`Polling`)."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self._lock = threading.Lock()

    def __call__(self, stats_json: str) -> None:
        raw = json.loads(stats_json)
        brokers = [b for b in raw.get("brokers", {}).values() if b.get("nodeid", -1) >= 0]
        up = [b for b in brokers if b.get("state") == "UP"]
        sample = Sample(
            at=time.time(),
            queued=raw["msg_cnt"],
            queued_bytes=raw["msg_size"],
            in_flight=sum(b["waitresp_cnt"] for b in brokers),
            outbuf=sum(b["outbuf_cnt"] for b in brokers),
            retries=sum(b["txretries"] for b in brokers),
            brokers_up=len(up),
            rtt_ms=max((b["rtt"]["avg"] / 1000 for b in up), default=0.0),
            raw=raw,
        )
        with self._lock:
            self.samples.append(sample)

    def between(self, start: float, end: float) -> list[Sample]:
        """The samples taken from `start` to `end` (wall-clock times)."""
        with self._lock:
            return [s for s in self.samples if start <= s.at <= end]


@dataclass(frozen=True)
class ClientError:
    """One error a librdkafka client reported to `error_cb`."""

    at: float
    name: str  # "_TRANSPORT", "_ALL_BROKERS_DOWN", ...
    text: str
    fatal: bool


class ErrorCallbacks:
    """The errors of a confluent-kafka client's `error_cb` (pass the object itself), kept as `errors`;
    the first error of each code also goes on the timeline, in `lane` (later ones of the same code
    would bury the picture: librdkafka reports every failed connection attempt)."""

    def __init__(self, timeline: Timeline | None = None, lane: str = "producer") -> None:
        self.timeline, self.lane = timeline, lane
        self.errors: list[ClientError] = []
        self._lock = threading.Lock()

    def __call__(self, err: Any) -> None:
        error = ClientError(time.time(), err.name(), err.str(), bool(err.fatal()))
        with self._lock:
            first = all(e.name != error.name for e in self.errors)
            self.errors.append(error)
        if first and self.timeline is not None:
            self.timeline.record(self.lane, f"error_cb: {error.name}", error.text, at=error.at)

    def first(self, name: str | None = None, after: float = 0.0) -> ClientError | None:
        """The first error (of code `name`, if given) reported at or after `after`; None if none was."""
        with self._lock:
            return next((e for e in self.errors if e.at >= after and name in (None, e.name)), None)

    def names(self, start: float = 0.0, end: float = float("inf")) -> set[str]:
        """The error codes reported from `start` to `end`."""
        with self._lock:
            return {e.name for e in self.errors if start <= e.at <= end}


class Stream:
    """Produce one record every `every` seconds to `topic` from a background thread, polling the
    confluent-kafka `producer` in between (so its callbacks run as things happen), from `start()` to
    `stop()` or as a context manager. The values are `<prefix>-0`, `<prefix>-1`, ...; `sent` holds
    (time, value) of each. `on_delivery` gets every delivery report (a `Deliveries`, say)."""

    def __init__(self, producer: Any, topic: str, on_delivery: Any, every: float = 0.05, prefix: str = "r") -> None:
        self.producer, self.topic, self.on_delivery = producer, topic, on_delivery
        self.every, self.prefix = every, prefix
        self.sent: list[tuple[float, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Stream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def __enter__(self) -> Stream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        n, next_at = 0, time.monotonic()
        while not self._stop.is_set():
            value = f"{self.prefix}-{n}".encode()
            self.producer.produce(self.topic, value, on_delivery=self.on_delivery)
            self.sent.append((time.time(), value))
            n += 1
            next_at += self.every
            while not self._stop.is_set() and (left := next_at - time.monotonic()) > 0:
                self.producer.poll(min(left, 0.05))
        self.producer.poll(0)


class WatchedProducer:
    """A confluent-kafka producer watched the way an operator would: its statistics every
    `stats_every_ms` (`stats`), its `error_cb` (`errors`), its delivery reports (`deliveries`), and its
    log lines kept off stderr (`log`), producing a steady `Stream` (`stream`) to `topic`, with the
    security settings of $KAFKA_CLIENT_CONFIG. `config` adds producer settings. `start()` starts the
    stream; `stop()` stops it and flushes, bounded."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        timeline: Timeline | None = None,
        config: dict[str, Any] | None = None,
        *,
        stats_every_ms: int = 500,
        every: float = 0.05,
        lane: str = "producer",
    ) -> None:
        from confluent_kafka import Producer

        self.topic = topic
        self.stats, self.errors = Statistics(), ErrorCallbacks(timeline, lane)
        self.deliveries = Deliveries(None, lane)
        self.log = ClientLog()
        settings = {
            "bootstrap.servers": bootstrap_servers,
            **client_settings("confluent-kafka"),
            "statistics.interval.ms": stats_every_ms,
            "stats_cb": self.stats,
            "error_cb": self.errors,
            "logger": self.log.logger(),
        }
        self.producer = Producer(settings | (config or {}))
        self.stream = Stream(self.producer, topic, self.deliveries, every=every, prefix=topic)

    def start(self) -> WatchedProducer:
        self.stream.start()
        return self

    def stop(self, timeout: float = 60.0) -> int:
        """Stop producing, flush (at most `timeout` seconds); returns what is still queued (0: all reported)."""
        self.stream.stop()
        return self.producer.flush(timeout)

    def unreported(self) -> int:
        """Records produced so far that have no delivery report yet."""
        return len(self.stream.sent) - len(self.deliveries.reports)

    def queued(self) -> int:
        """The queue depth of the latest statistics report (msg_cnt); 0 before the first."""
        return self.stats.samples[-1].queued if self.stats.samples else 0
