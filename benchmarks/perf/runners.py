"""One measured run of one producer configuration, for each client.

Every run returns a flat dict of numbers. Settings are given once, in Java property names, and
translated per client, so no client falls back to its own (different) default.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import resource
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import KafkaException, Producer

import kafkalab
from kafkalab.tools import run_tool

AIOKAFKA_SECURITY = kafkalab.client_settings("aiokafka")
CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")

CLIENT_CONFIG = "KAFKA_CLIENT_CONFIG"  # the connection contract (kafkalab.client_settings)
CLK_TCK = 100  # os.sysconf("SC_CLK_TCK") on Linux; read below to be sure

try:
    import os

    CLK_TCK = os.sysconf("SC_CLK_TCK")
except (ValueError, OSError, AttributeError):  # pragma: no cover
    pass

# Settings every run states explicitly, whatever the configuration under test changes.
COMMON = {
    "acks": "all",
    "enable.idempotence": "true",
    "linger.ms": "5",
    "batch.size": "16384",
    "compression.type": "none",
    "max.in.flight.requests.per.connection": "5",
    "delivery.timeout.ms": "120000",
    "request.timeout.ms": "30000",
    "buffer.memory": "33554432",
    "retries": "2147483647",
}


def settings(**changes: object) -> dict[str, str]:
    """COMMON with changes (keys with underscores for dots); acks other than all turns idempotence off."""
    s = dict(COMMON)
    for key, value in changes.items():
        s[key.replace("_", ".")] = str(value).lower() if isinstance(value, bool) else str(value)
    if s["acks"] != "all" and "enable.idempotence" not in {k.replace("_", ".") for k in changes}:
        s["enable.idempotence"] = "false"  # idempotence requires acks=all in every client
    return s


# -- payloads --------------------------------------------------------------------------------
def letters_payloads(size: int = 100, count: int = 1024, seed: int = 1) -> list[bytes]:
    """What ProducerPerformance sends: random uppercase letters (here 1024 distinct records, cycled)."""
    rnd = random.Random(seed)
    return [bytes(rnd.randrange(26) + 65 for _ in range(size)) for _ in range(count)]


def json_events(count: int = 2000, seed: int = 7) -> list[bytes]:
    """Distinct e-commerce click-stream events, about 500 bytes each, as JSON."""
    rnd = random.Random(seed)
    types = ["page_view", "search", "add_to_cart", "checkout_started", "purchase", "login"]
    countries = ["DE", "FR", "US", "GB", "NL", "ES", "IT", "PL", "SE", "BR"]
    agents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1",
    ]
    out = []
    ts = 1_764_288_000_000
    for _ in range(count):
        ts += rnd.randrange(1, 400)
        sku = rnd.randrange(10_000, 99_999)
        event = {
            "event_id": f"{rnd.getrandbits(128):032x}",
            "type": rnd.choice(types),
            "occurred_at_ms": ts,
            "user": {
                "id": f"u-{rnd.randrange(1_000_000):07d}",
                "country": rnd.choice(countries),
                "device": rnd.choice(["mobile", "desktop", "tablet"]),
            },
            "session_id": f"{rnd.getrandbits(64):016x}",
            "page": {
                "url": f"https://shop.example.com/products/{sku}?ref={rnd.choice(['search', 'home', 'mail', 'ad'])}",
                "referrer": rnd.choice(["https://www.google.com/", "https://shop.example.com/", ""]),
            },
            "properties": {
                "sku": f"SKU-{sku}",
                "price_cents": rnd.randrange(199, 49_999),
                "currency": "EUR",
                "quantity": rnd.randrange(1, 4),
            },
            "user_agent": rnd.choice(agents),
        }
        out.append(json.dumps(event, separators=(",", ":")).encode())
    return out


# -- what the operating system says ------------------------------------------------------------
def pid_cpu_seconds(pids: list[int]) -> float:
    """utime + stime of processes, from /proc/<pid>/stat (all threads of a JVM included)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), after pid and comm
    return total / CLK_TCK


def log_bytes(partition_dir: Path) -> int:
    """Size of a partition's log segments on a broker's disk: the record batches as stored."""
    return sum(p.stat().st_size for p in partition_dir.glob("*.log")) if partition_dir.is_dir() else 0


def log_batches(partition_dir: Path, skip_bytes: int) -> tuple[int, int]:
    """(record batches, records) in a partition's log after its first skip_bytes bytes, read from
    each batch's header (baseOffset int64, batchLength int32, ..., recordsCount int32 at byte 57).
    On a one-partition topic each Produce request carries one batch: batches count the requests."""
    batches = records = 0
    for segment in sorted(partition_dir.glob("*.log")):
        data = segment.read_bytes()
        if skip_bytes >= len(data):
            skip_bytes -= len(data)
            continue
        pos, skip_bytes = skip_bytes, 0
        while pos + 61 <= len(data):
            records += int.from_bytes(data[pos + 57 : pos + 61], "big")
            batches += 1
            pos += 12 + int.from_bytes(data[pos + 8 : pos + 12], "big")
    return batches, records


class Probe:
    """CPU of this process and of the brokers, and the leader's log size, around one run."""

    def __init__(self, broker_pids: list[int], partition_dir: Path | None) -> None:
        self.broker_pids = broker_pids
        self.partition_dir = partition_dir

    def __enter__(self) -> Probe:
        self.bytes0 = log_bytes(self.partition_dir) if self.partition_dir else 0
        self.broker0 = pid_cpu_seconds(self.broker_pids)
        self.cpu0 = time.process_time()
        self.children0 = _children_cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client_cpu = time.process_time() - self.cpu0
        self.children_cpu = _children_cpu() - self.children0
        self.broker_cpu = pid_cpu_seconds(self.broker_pids) - self.broker0

    def stored_bytes(self, settle: float = 0.3) -> int:
        """Bytes appended to the leader's log during the run (waits until the size stops growing)."""
        if not self.partition_dir:
            return 0
        size, deadline = log_bytes(self.partition_dir), time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(settle)
            now = log_bytes(self.partition_dir)
            if now == size:
                break
            size = now
        return size - self.bytes0

    def stored_batches(self) -> tuple[int, int]:
        """(batches, records) appended to the leader's log during the run (after stored_bytes())."""
        return log_batches(self.partition_dir, self.bytes0) if self.partition_dir else (0, 0)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _result(n: int, payload_bytes: int, seconds: float, probe: Probe, errors: int, **extra: float) -> dict:
    out = {
        "records": n,
        "errors": errors,
        "seconds": seconds,
        "msgs_per_s": n / seconds if seconds > 0 else float("nan"),
        "payload_mb_per_s": payload_bytes / seconds / 1e6 if seconds > 0 else float("nan"),
        "client_cpu_us_per_msg": probe.client_cpu / n * 1e6,
        "broker_cpu_us_per_msg": probe.broker_cpu / n * 1e6,
    }
    stored = probe.stored_bytes()
    if stored:
        out["stored_bytes"] = stored
        out["stored_per_payload_byte"] = stored / payload_bytes
        batches, records = probe.stored_batches()
        if batches:
            out["records_per_stored_batch"] = records / batches
    out.update(extra)
    return out


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    s = sorted(samples)

    def at(q: float) -> float:
        return s[min(len(s) - 1, max(0, round(q * len(s)) - 1))]

    return {"p50_ms": at(0.50), "p99_ms": at(0.99), "p999_ms": at(0.999), "max_ms": s[-1], "samples": len(s)}


# -- confluent-kafka -------------------------------------------------------------------------
def _librdkafka_config(bootstrap: str, s: dict, stats_ms: int, native: bool = False) -> dict:
    """s in Java names (every COMMON key), translated; or, native, librdkafka's own configuration
    used as given over librdkafka's defaults (a tuning profile, or {} for the defaults themselves)."""
    if native:
        conf = {"bootstrap.servers": bootstrap, **CONFLUENT_SECURITY, **s}
        if stats_ms:
            conf["statistics.interval.ms"] = stats_ms
        return conf
    conf = {
        "bootstrap.servers": bootstrap,
        **CONFLUENT_SECURITY,
        "acks": s["acks"],
        "enable.idempotence": s["enable.idempotence"] == "true",
        "linger.ms": int(s["linger.ms"]),
        "batch.size": int(s["batch.size"]),
        "batch.num.messages": 1_000_000,  # librdkafka's own cap (10000 records) must not bind first
        "compression.type": s["compression.type"],
        "max.in.flight.requests.per.connection": int(s["max.in.flight.requests.per.connection"]),
        "message.timeout.ms": int(s["delivery.timeout.ms"]),  # delivery.timeout.ms
        "request.timeout.ms": int(s["request.timeout.ms"]),
        "retries": int(s["retries"]),
        "queue.buffering.max.kbytes": int(s["buffer.memory"]) // 1024,  # buffer.memory
        "queue.buffering.max.messages": 1_000_000,
    }
    if stats_ms:
        conf["statistics.interval.ms"] = stats_ms
    return conf


class _Stats:
    """The latest librdkafka statistics JSON, and a way to wait for one emitted after the run."""

    def __init__(self) -> None:
        self.count = 0
        self.last: dict = {}

    def __call__(self, raw: str) -> None:
        self.count += 1
        self.last = json.loads(raw)

    def fresh(self, producer: Producer, timeout: float = 2.0) -> dict:
        seen, deadline = self.count, time.monotonic() + timeout
        while self.count == seen and time.monotonic() < deadline:
            producer.poll(0.05)
        return self.mechanism()

    async def fresh_aio(self, producer, timeout: float = 2.0) -> dict:
        """fresh() for an AIOProducer, whose poll() runs in its thread pool."""
        seen, deadline = self.count, time.monotonic() + timeout
        while self.count == seen and time.monotonic() < deadline:
            await producer.poll(0.05)
        return self.mechanism()

    async def on_stats_aio(self, raw: str) -> None:
        """AIOProducer runs a stats_cb on its event loop, and awaits it: it must be a coroutine."""
        self(raw)

    def mechanism(self) -> dict:
        s = self.last
        produce_requests = sum(b.get("req", {}).get("Produce", 0) for b in s.get("brokers", {}).values())
        return {
            "produce_requests": produce_requests,
            "txmsgs": s.get("txmsgs", 0),
            "tx_bytes": s.get("tx_bytes", 0),  # every request's bytes, as sent to the brokers
        }


WARMUP = 2000  # records sent and flushed before the clock starts: connections, metadata, producer id


def _warm_up(p: Producer, topic: str, payloads: list[bytes], stats: _Stats | None = None) -> dict:
    for i in range(WARMUP):
        p.produce(topic, payloads[i % len(payloads)])
        if i % 500 == 0:
            p.poll(0)
    if p.flush(60):
        raise RuntimeError("warm-up records not delivered")
    return stats.fresh(p) if stats else {}


def confluent_throughput(
    bootstrap: str,
    topic: str,
    s: dict,
    payloads: list[bytes],
    n: int,
    probe: Probe,
    pattern: str = "async",
    native: bool = False,
) -> dict:
    """n records as fast as the pattern allows. pattern: async (per-record callback, poll(0) after
    each produce), recipe (one producer-level callback, poll(0) every 1000 records), fire (no
    callback, no poll), sync (flush after each record)."""
    counts = {"ok": 0, "err": 0}

    def on_delivery(err, _msg) -> None:
        counts["err" if err else "ok"] += 1

    stats = _Stats()
    conf = _librdkafka_config(bootstrap, s, stats_ms=200, native=native)
    conf["stats_cb"] = stats
    if pattern == "recipe":
        conf["on_delivery"] = on_delivery
    p = Producer(conf)
    before = _warm_up(p, topic, payloads, stats)
    counts.update(ok=0, err=0)  # the producer-level callback (recipe) also saw the warm-up records
    sizes = sum(len(payloads[i % len(payloads)]) for i in range(n))
    produce, poll, k = p.produce, p.poll, len(payloads)
    with probe:
        t0 = time.perf_counter()
        for i in range(n):
            v = payloads[i % k]
            while True:
                try:
                    if pattern in ("async", "sync"):
                        produce(topic, v, on_delivery=on_delivery)
                    else:
                        produce(topic, v)
                    break
                except BufferError:
                    poll(0.005)
            if pattern == "async" or (pattern == "recipe" and i % 1000 == 0):
                poll(0)
            elif pattern == "sync":
                p.flush(30)
        left = p.flush(120)
        seconds = time.perf_counter() - t0
    mech = {k: v - before[k] for k, v in stats.fresh(p).items()}
    if pattern == "fire":
        counts["ok"] = mech["txmsgs"]  # no callback: the statistics count what was transmitted
    errors = counts["err"] + (n - counts["ok"] - counts["err"])
    return _librdkafka_result(n, sizes, seconds, probe, errors, mech, left)


def _librdkafka_result(n: int, sizes: int, seconds: float, probe: Probe, errors: int, mech: dict, left: int) -> dict:
    """A throughput run's result from librdkafka's statistics (the synchronous client and AIOProducer)."""
    if left:
        raise RuntimeError(f"{left} records still queued after flush")
    rpr = mech["txmsgs"] / mech["produce_requests"] if mech["produce_requests"] else float("nan")
    return _result(
        n, sizes, seconds, probe, errors,
        records_per_request=rpr, produce_requests=mech["produce_requests"],
        client_tx_per_payload_byte=mech["tx_bytes"] / sizes if sizes else float("nan"),
    )  # fmt: skip


def confluent_latency(
    bootstrap: str, topic: str, s: dict, payload: bytes, rate: float, seconds: float, native: bool = False
) -> dict:
    """Records at a fixed rate; latency = delivery-callback time minus produce() time."""
    lat: list[float] = []
    rd_lat: list[float] = []
    errors = [0]
    p = Producer(_librdkafka_config(bootstrap, s, stats_ms=0, native=native))
    _warm_up(p, topic, [payload])
    n = int(rate * seconds)
    interval = 1.0 / rate
    clock = time.perf_counter
    late = 0
    start = clock() + 0.05
    for i in range(n):
        due = start + i * interval
        while (wait := due - clock()) > 0:
            # poll() serves callbacks while waiting; below 1 ms its timeout rounds to 0, so sleep.
            p.poll(wait) if wait >= 0.001 else time.sleep(wait)
        if clock() - due > interval:
            late += 1
        sent = clock()

        def cb(err, msg, sent=sent) -> None:
            if err:
                errors[0] += 1
            else:
                lat.append((clock() - sent) * 1000)
                rd_lat.append(msg.latency() * 1000)

        p.produce(topic, payload, on_delivery=cb)
        p.poll(0)
    left = p.flush(60)
    if left:
        raise RuntimeError(f"{left} records still queued after flush")
    out = percentiles(lat)
    out.update({f"librdkafka_{k}": v for k, v in percentiles(rd_lat).items() if k.endswith("_ms")})
    out.update(errors=errors[0] + (n - len(lat) - errors[0]), late_sends=late, rate=rate)
    return out


# -- kafka-python ----------------------------------------------------------------------------
def _kafka_python_producer(bootstrap: str, s: dict, native: bool = False):
    """s in Java names, translated; or, native, KafkaProducer keyword arguments over its defaults."""
    from kafka import KafkaProducer

    if native:
        return KafkaProducer(bootstrap_servers=bootstrap.split(","), **KAFKA_PYTHON_SECURITY, **s)
    comp = s["compression.type"]
    return KafkaProducer(
        bootstrap_servers=bootstrap.split(","),
        **KAFKA_PYTHON_SECURITY,
        acks="all" if s["acks"] == "all" else int(s["acks"]),
        enable_idempotence=s["enable.idempotence"] == "true",
        linger_ms=int(s["linger.ms"]),
        batch_size=int(s["batch.size"]),
        compression_type=None if comp == "none" else comp,
        max_in_flight_requests_per_connection=int(s["max.in.flight.requests.per.connection"]),
        delivery_timeout_ms=int(s["delivery.timeout.ms"]),
        request_timeout_ms=int(s["request.timeout.ms"]),
        retries=int(s["retries"]),
    )


def _kafka_python_warm_up(p, topic: str, payloads: list[bytes]) -> None:
    # Few records: its records-per-request-avg is a windowed average that would include them.
    for i in range(20):
        p.send(topic, payloads[i % len(payloads)])
    p.flush(timeout=60)


def _kafka_python_mechanism(producer) -> dict:
    m = producer.metrics().get("producer-metrics", {})
    return {"records_per_request": m.get("records-per-request-avg", float("nan"))}


def kafka_python_throughput(
    bootstrap: str,
    topic: str,
    s: dict,
    payloads: list[bytes],
    n: int,
    probe: Probe,
    pattern: str = "async",
    native: bool = False,
) -> dict:
    """pattern: async (a callback per record), sync (future.get() per record)."""
    counts = {"ok": 0, "err": 0}
    lock = threading.Lock()

    def ok(_md) -> None:
        with lock:
            counts["ok"] += 1

    def bad(_exc) -> None:
        with lock:
            counts["err"] += 1

    p = _kafka_python_producer(bootstrap, s, native)
    try:
        _kafka_python_warm_up(p, topic, payloads)
        sizes = sum(len(payloads[i % len(payloads)]) for i in range(n))
        k = len(payloads)
        with probe:
            t0 = time.perf_counter()
            for i in range(n):
                f = p.send(topic, payloads[i % k])
                if pattern == "sync":
                    f.get(timeout=30)
                    counts["ok"] += 1
                else:
                    f.add_callback(ok).add_errback(bad)
            p.flush(timeout=120)
            seconds = time.perf_counter() - t0
        mech = _kafka_python_mechanism(p)
    finally:
        p.close(timeout=10)
    errors = counts["err"] + (n - counts["ok"] - counts["err"])
    return _result(n, sizes, seconds, probe, errors, **mech)


def kafka_python_latency(
    bootstrap: str, topic: str, s: dict, payload: bytes, rate: float, seconds: float, native: bool = False
) -> dict:
    lat: list[float] = []
    errors = [0]
    clock = time.perf_counter
    p = _kafka_python_producer(bootstrap, s, native)
    try:
        _kafka_python_warm_up(p, topic, [payload])
        n = int(rate * seconds)
        start = clock() + 0.05
        for i in range(n):
            due = start + i / rate
            if (wait := due - clock()) > 0:
                time.sleep(wait)
            sent = clock()
            f = p.send(topic, payload)
            f.add_callback(lambda _md, sent=sent: lat.append((clock() - sent) * 1000))
            f.add_errback(lambda _e: errors.__setitem__(0, errors[0] + 1))
        p.flush(timeout=60)
    finally:
        p.close(timeout=10)
    out = percentiles(lat)
    out.update(errors=errors[0] + (n - len(lat) - errors[0]), rate=rate)
    return out


def kafka_python_isolated(
    bootstrap: str,
    topic: str,
    s: dict,
    payload: str,
    n: int,
    broker_pids: list[int],
    partition_dir: Path | None,
    extras: Path | None,
) -> dict:
    """kafka_python_throughput in a fresh interpreter (kafka_python_worker.py): with ``extras`` (a
    directory of optional packages, e.g. crc32c) on its path, or with crc32c hidden even if installed.
    The result says which CRC-32C implementation kafka-python used, and the run fails if it is not
    the one asked for."""
    import os
    import sys

    spec = {
        "bootstrap": bootstrap, "topic": topic, "settings": s, "payload": payload, "n": n,
        "broker_pids": broker_pids, "partition_dir": str(partition_dir) if partition_dir else None,
        "hide": [] if extras else ["crc32c"],
    }  # fmt: skip
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [*([str(extras)] if extras else []), str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    worker = Path(__file__).with_name("kafka_python_worker.py")
    cmd = [sys.executable, str(worker), json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"kafka-python worker failed ({proc.returncode}): {proc.stderr[-800:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    wanted = "crc32c" if extras else "pure Python"
    if out["crc32c_implementation"] != wanted:
        raise RuntimeError(f"kafka-python used {out['crc32c_implementation']!r} CRC-32C, not {wanted!r}")
    return out


# -- asyncio: confluent-kafka's AIOProducer and aiokafka ----------------------------------------
# The natural asyncio pattern: send without awaiting each outcome, keep the futures, flush, then
# await them all. Throughput ends when every outcome is known; latency is the time a record's future
# completed (its done-callback ran on the loop) minus the time it was sent.
async def _outcomes(pending: list, timeout: float) -> int:
    """How many of the futures failed (an exception, cancelled, or not done within timeout)."""
    results = await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), timeout)
    return sum(1 for x in results if isinstance(x, BaseException))


async def _fixed_rate(send: Callable, payload: bytes, rate: float, seconds: float) -> tuple[list, list, int]:
    """send(payload) -> a future, at a fixed rate: (latencies in ms, the futures, late sends)."""
    lat: list[float] = []
    pending = []
    clock = time.perf_counter
    n, interval, late = int(rate * seconds), 1.0 / rate, 0
    start = clock() + 0.05
    for i in range(n):
        due = start + i * interval
        if (wait := due - clock()) > 0:
            await asyncio.sleep(wait)
        if clock() - due > interval:
            late += 1
        sent = clock()
        future = await send(payload)

        def done(f, sent=sent) -> None:
            if not f.cancelled() and f.exception() is None:
                lat.append((clock() - sent) * 1000)

        future.add_done_callback(done)
        pending.append(future)
    return lat, pending, late


def _aioproducer(bootstrap: str, s: dict, stats: _Stats | None):
    """AIOProducer over the same librdkafka configuration as confluent_throughput, with its own
    defaults for the Python-side buffer (batch_size=1000 records, buffer_timeout=1.0 s, 4 threads)."""
    from confluent_kafka.aio import AIOProducer

    conf = _librdkafka_config(bootstrap, s, stats_ms=200 if stats else 0)
    if stats:
        conf["stats_cb"] = stats.on_stats_aio
    return AIOProducer(conf)


async def _aio_warm_up(p, topic: str, payloads: list[bytes]) -> None:
    pending = [await p.produce(topic, payloads[i % len(payloads)]) for i in range(WARMUP)]
    if await p.flush(60) or await _outcomes(pending, 30):
        raise RuntimeError("warm-up records not delivered")


async def _aio_throughput(bootstrap: str, topic: str, s: dict, payloads: list[bytes], n: int, probe: Probe) -> dict:
    stats = _Stats()
    p = _aioproducer(bootstrap, s, stats)
    try:
        await _aio_warm_up(p, topic, payloads)
        before = await stats.fresh_aio(p)
        sizes = sum(len(payloads[i % len(payloads)]) for i in range(n))
        produce, k = p.produce, len(payloads)
        with probe:
            t0 = time.perf_counter()
            pending = [await produce(topic, payloads[i % k]) for i in range(n)]
            left = await p.flush(120)
            errors = await _outcomes(pending, 60)
            seconds = time.perf_counter() - t0
        mech = {key: v - before[key] for key, v in (await stats.fresh_aio(p)).items()}
    finally:
        await p.close()
    return _librdkafka_result(n, sizes, seconds, probe, errors, mech, left)


def aioproducer_throughput(bootstrap: str, topic: str, s: dict, payloads: list[bytes], n: int, probe: Probe) -> dict:
    """n records through confluent_kafka.aio.AIOProducer: await produce() for each (it returns a
    future), then flush() and await every future. Records per request from librdkafka's statistics."""
    return asyncio.run(_aio_throughput(bootstrap, topic, s, payloads, n, probe))


async def _aio_latency(bootstrap: str, topic: str, s: dict, payload: bytes, rate: float, seconds: float) -> dict:
    p = _aioproducer(bootstrap, s, None)
    try:
        await _aio_warm_up(p, topic, [payload])
        lat, pending, late = await _fixed_rate(lambda v: p.produce(topic, v), payload, rate, seconds)
        if await p.flush(60):
            raise RuntimeError("records still queued after flush")
        errors = await _outcomes(pending, 30)
        await asyncio.sleep(0)  # the last done-callbacks
    finally:
        await p.close()
    out = percentiles(lat)
    out.update(errors=max(errors, len(pending) - len(lat)), late_sends=late, rate=rate)
    return out


def aioproducer_latency(bootstrap: str, topic: str, s: dict, payload: bytes, rate: float, seconds: float) -> dict:
    """Records at a fixed rate through AIOProducer, no flush between them: each future completes
    when the buffer has gone to librdkafka and a later poll served the delivery report."""
    return asyncio.run(_aio_latency(bootstrap, topic, s, payload, rate, seconds))


def _aiokafka_producer(bootstrap: str, s: dict):
    """s in Java names, translated to what AIOKafkaProducer has: it has no setting for in-flight
    requests (one per broker), delivery timeout, retries or buffer memory."""
    from aiokafka import AIOKafkaProducer

    comp = s["compression.type"]
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        **AIOKAFKA_SECURITY,
        acks="all" if s["acks"] == "all" else int(s["acks"]),  # 0.14's default is 1 without idempotence
        enable_idempotence=s["enable.idempotence"] == "true",
        linger_ms=int(s["linger.ms"]),
        max_batch_size=int(s["batch.size"]),
        compression_type=None if comp == "none" else comp,
        request_timeout_ms=int(s["request.timeout.ms"]),
    )


async def _aiokafka_warm_up(p, topic: str, payloads: list[bytes]) -> None:
    pending = [await p.send(topic, payloads[i % len(payloads)]) for i in range(WARMUP)]
    if await _outcomes(pending, 60):
        raise RuntimeError("warm-up records not delivered")


async def _aiokafka_throughput(
    bootstrap: str, topic: str, s: dict, payloads: list[bytes], n: int, probe: Probe
) -> dict:
    p = _aiokafka_producer(bootstrap, s)
    await asyncio.wait_for(p.start(), 60)
    try:
        await _aiokafka_warm_up(p, topic, payloads)
        sizes = sum(len(payloads[i % len(payloads)]) for i in range(n))
        send, k = p.send, len(payloads)
        with probe:
            t0 = time.perf_counter()
            pending = [await send(topic, payloads[i % k]) for i in range(n)]
            await asyncio.wait_for(p.flush(), 120)
            errors = await _outcomes(pending, 60)
            seconds = time.perf_counter() - t0
    finally:
        await asyncio.wait_for(p.stop(), 60)
    out = _result(n, sizes, seconds, probe, errors)
    # aiokafka has no metrics: on this one-partition topic each request carried one batch, so the
    # records per batch in the leader's log are the records per request.
    if "records_per_stored_batch" in out:
        out["records_per_request"] = out["records_per_stored_batch"]
    return out


def aiokafka_throughput(bootstrap: str, topic: str, s: dict, payloads: list[bytes], n: int, probe: Probe) -> dict:
    """n records through AIOKafkaProducer: await send() for each (it returns a future once the record
    is in a batch), then flush() and await every future."""
    return asyncio.run(_aiokafka_throughput(bootstrap, topic, s, payloads, n, probe))


async def _aiokafka_latency(bootstrap: str, topic: str, s: dict, payload: bytes, rate: float, seconds: float) -> dict:
    p = _aiokafka_producer(bootstrap, s)
    await asyncio.wait_for(p.start(), 60)
    try:
        await _aiokafka_warm_up(p, topic, [payload])
        lat, pending, late = await _fixed_rate(lambda v: p.send(topic, v), payload, rate, seconds)
        await asyncio.wait_for(p.flush(), 60)
        errors = await _outcomes(pending, 30)
        await asyncio.sleep(0)
    finally:
        await asyncio.wait_for(p.stop(), 60)
    out = percentiles(lat)
    out.update(errors=max(errors, len(pending) - len(lat)), late_sends=late, rate=rate)
    return out


def aiokafka_latency(bootstrap: str, topic: str, s: dict, payload: bytes, rate: float, seconds: float) -> dict:
    return asyncio.run(_aiokafka_latency(bootstrap, topic, s, payload, rate, seconds))


# -- Java: ProducerPerformance ---------------------------------------------------------------
SUMMARY = re.compile(
    r"(\d+) (?:steady state )?records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
    r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th"
)
METRIC = re.compile(r"^producer-metrics:([\w-]+):\{[^}]*\}\s*:\s*([-\d.eE]+|NaN)\s*$", re.M)


def java_args(bootstrap: str, topic: str, s: dict[str, str], n: int, warmup: int, size: int, rate: float) -> list:
    """ProducerPerformance's arguments: the records, the rate (-1: as fast as it can) and the settings,
    over the security settings of $KAFKA_CLIENT_CONFIG (a Java properties file: the tool reads it as is)."""
    props = [f"bootstrap.servers={bootstrap}", *(f"{k}={v}" for k, v in s.items())]
    security = ["--producer.config", os.environ[CLIENT_CONFIG]] if os.environ.get(CLIENT_CONFIG) else []
    return [
        "--topic", topic, "--num-records", str(n + warmup), "--warmup-records", str(warmup),
        "--record-size", str(size), "--throughput", str(rate), "--print-metrics", *security,
        "--command-property", *props,
    ]  # fmt: skip


def java_run(bootstrap: str, topic: str, s: dict[str, str], n: int, size: int, rate: float, probe: Probe) -> dict:
    """n steady-state records after a JIT warm-up the tool excludes from its figures (--warmup-records):
    without it a 100k-record run measures the JVM warming up (several times fewer msgs/s)."""
    warmup = n // 2 if rate < 0 else int(rate * 0.5)
    with probe:
        proc = run_tool(
            "ProducerPerformance", *java_args(bootstrap, topic, s, n, warmup, size, rate),
            jvm_args=["-Xms256m", "-Xmx512m"], timeout=600, check=False,
        )  # fmt: skip
    matches = list(SUMMARY.finditer(proc.stdout))
    m = matches[-1] if matches else None  # the steady-state line comes last
    if proc.returncode != 0 or not m:
        raise RuntimeError(f"ProducerPerformance failed ({proc.returncode}): {proc.stdout[-800:]} {proc.stderr[-800:]}")
    metrics = {k: float(v) for k, v in METRIC.findall(proc.stdout)}
    rate_s = float(m.group(2))
    seconds = n / rate_s
    total = n + warmup
    out = _result(total, total * size, seconds, probe, 0, records_per_request=metrics.get("records-per-request-avg"))
    out.update(records=n, msgs_per_s=rate_s, payload_mb_per_s=rate_s * size / 1e6, warmup_records=warmup)
    # CPU per record over every record the JVM sent; its CPU (rusage of the finished child) includes
    # JVM start-up and JIT compilation, which no steady-state figure can separate out.
    out["client_cpu_us_per_msg"] = probe.children_cpu / total * 1e6
    out["jvm_cpu_s"] = probe.children_cpu
    out.update(
        avg_ms=float(m.group(4)), p50_ms=float(m.group(6)), p95_ms=float(m.group(7)),
        p99_ms=float(m.group(8)), p999_ms=float(m.group(9)), max_ms=float(m.group(5)),
    )  # fmt: skip
    return out


def kafka_error_safe(fn: Callable[[], dict]) -> dict:
    """A failed run is recorded as failed, not silently dropped."""
    try:
        return fn()
    except (KafkaException, RuntimeError, TimeoutError, subprocess.TimeoutExpired) as e:  # aiokafka's: RuntimeError
        return {"failed": f"{type(e).__name__}: {e}"[:500]}
