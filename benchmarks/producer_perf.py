"""The producer performance lab: what acks, linger.ms, batch.size, compression, idempotence, the
send pattern and the clients (three synchronous, two asyncio) cost, measured on a real kafkalab cluster.

    .venv/bin/python benchmarks/producer_perf.py --mode full --state-dir /tmp/perf-cluster \
        --bootstrap 127.0.0.1:14092,127.0.0.1:14093,127.0.0.1:14094 [--publish]

Every configuration runs at least 3 times, interleaved (A B C A B C ...), each group on its own
pre-created topics (1 partition, RF 3, min.insync.replicas 2). Results: benchmarks/results/perf-<mode>.json
(medians, min-max, ratios to each group's baseline, every raw run, the machine and versions).
--publish also writes the snapshot the docs page shows: docs/assets/perf/ (JSON, PNGs, tables.txt).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from confluent_kafka.admin import AdminClient
from perf import runners as r
from tqdm import tqdm

from kafkalab import KAFKA_VERSION, Cluster, client_settings, new_topic
from kafkalab.runtime import java_executable

SECURITY = client_settings("confluent-kafka")

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PUBLISHED = ROOT / "docs" / "assets" / "perf"


@dataclass
class Case:
    label: str
    client: str = "confluent-kafka"  # confluent-kafka, kafka-python, java, aioproducer, aiokafka
    settings: dict = field(default_factory=r.settings)
    pattern: str = "async"  # confluent-kafka: async, recipe, fire, sync; kafka-python: async, sync
    payload: str = "letters100"  # letters100 (100-byte records) or json (click-stream events)
    latency: bool = False  # also measure latency at the fixed rate
    throughput: bool = True
    n_factor: float = 1.0  # fewer records for slow patterns (sync)
    # settings in the client's own names, used as given over the client's real defaults ({}: the
    # defaults themselves), instead of every COMMON setting translated
    native: bool = False
    baseline: str | None = None  # the case its ratios are to (default: the group's baseline)
    extras: bool | None = None  # kafka-python in its own process: with the optional extensions or without


@dataclass
class Group:
    name: str
    title: str
    baseline: str
    cases: list[Case]
    min_reps: int = 0  # more repetitions where one figure matters most
    ratio_header: str | None = None  # the tables' ratio column, when cases have their own baselines


TUNING = ROOT / "examples" / "production" / "tuning"


def tuning_profiles() -> dict[str, dict[str, dict]]:
    """The tuning page's profiles, read from its examples: {client: {profile: settings}}."""
    import importlib.util

    out = {}
    for client, filename in (("confluent-kafka", "01_profiles_confluent_kafka.py"),
                             ("kafka-python", "02_profiles_kafka_python.py")):  # fmt: skip
        spec = importlib.util.spec_from_file_location(f"tuning_{client.replace('-', '_')}", TUNING / filename)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out[client] = module.PROFILES
    return out


# The reference's high-throughput profile in Java names, for ProducerPerformance (the tuning page's
# profiles are for the Python clients; 65536-byte batches are larger than the Java default).
JAVA_HIGH_THROUGHPUT = {
    "linger.ms": "20", "batch.size": "65536", "compression.type": "lz4", "buffer.memory": "67108864",
    "acks": "all", "enable.idempotence": "true",
}  # fmt: skip


def profile_cases(latency: bool, clients: tuple[str, ...], profiles: tuple[str, ...] | None = None) -> list[Case]:
    """Each client's defaults, then the tuning page's profiles over those same defaults."""
    cases = []
    for client, by_name in tuning_profiles().items():
        if client not in clients:
            continue
        base = f"{client} defaults"
        slow = 0.5 if client == "kafka-python" else 1.0
        cases.append(Case(base, client=client, settings={}, native=True, latency=latency, n_factor=slow, baseline=base))
        cases += [
            Case(f"{client} {name}", client=client, settings=dict(conf), native=True, latency=latency,
                 n_factor=slow, baseline=base)
            for name, conf in by_name.items() if profiles is None or name in profiles
        ]  # fmt: skip
    if "java" in clients:
        cases += [
            Case("java defaults", client="java", settings={}, native=True, baseline="java defaults"),
            Case("java high-throughput (reference)", client="java", settings=JAVA_HIGH_THROUGHPUT, native=True,
                 baseline="java defaults"),
        ]  # fmt: skip
    return cases


def groups(mode: str) -> list[Group]:
    s = r.settings
    defaults = "the same client's defaults"
    if mode == "quick":
        return [
            Group("profiles", "The tuning page's high-throughput profile against confluent-kafka's defaults",
                  "confluent-kafka defaults", profile_cases(True, ("confluent-kafka",), ("high-throughput",)),
                  ratio_header=f"msgs/s ÷ {defaults}"),
            Group("compression", "Compression on JSON events", "none", [
                Case(c, settings=s(compression_type=c, batch_size=65536), payload="json") for c in ("none", "lz4")
            ]),
            Group("patterns", "Send patterns", "async", [
                Case("async", settings=s(linger_ms=0)),
                Case("sync", settings=s(linger_ms=0), pattern="sync", n_factor=0.01),
            ]),
        ]  # fmt: skip
    same = s(linger_ms=20, batch_size=65536)  # the three clients, identical settings
    return [
        Group("acks", "acks (linger.ms=0)", "acks=1", [
            Case(f"acks={a}", settings=s(acks=a, linger_ms=0), latency=True) for a in ("0", "1", "all")
        ]),
        Group("linger", "linger.ms (acks=all, batch.size=16384)", "linger.ms=0", [
            Case(f"linger.ms={ms}", settings=s(linger_ms=ms), latency=True) for ms in (0, 5, 20, 100)
        ]),
        Group("batch", "batch.size (acks=all, linger.ms=5)", "confluent-kafka 16384", [
            Case(f"{c} {b}", client=c, settings=s(batch_size=b))
            for b in (16384, 65536, 1048576) for c in ("confluent-kafka", "java")
        ]),
        Group("compression", "compression.type on JSON events (batch.size=65536, linger.ms=5)", "none", [
            Case(c, settings=s(compression_type=c, batch_size=65536), payload="json")
            for c in ("none", "gzip", "snappy", "lz4", "zstd")
        ] + [
            Case(f"kafka-python {c}", client="kafka-python", settings=s(compression_type=c, batch_size=65536),
                 payload="json", n_factor=0.5)
            for c in ("none", "gzip")
        ]),
        Group("idempotence", "enable.idempotence (acks=all, linger.ms=5)", "idempotence on", [
            Case("idempotence on", settings=s()), Case("idempotence off", settings=s(enable_idempotence=False)),
        ]),
        Group("patterns", "Send patterns (acks=all, linger.ms=0)", "async", [
            Case("fire-and-forget", settings=s(linger_ms=0), pattern="fire"),
            Case("async", settings=s(linger_ms=0)),
            Case("sync", settings=s(linger_ms=0), pattern="sync", n_factor=0.01),
            Case("kafka-python async", client="kafka-python", settings=s(linger_ms=0), n_factor=0.5),
            Case("kafka-python sync", client="kafka-python", settings=s(linger_ms=0), pattern="sync", n_factor=0.01),
        ]),
        Group("profiles", "The tuning page's profiles against each client's defaults", "confluent-kafka defaults",
              profile_cases(True, ("confluent-kafka", "kafka-python", "java")), ratio_header=f"msgs/s ÷ {defaults}"),
        Group("clients", "Clients side by side (acks=all, idempotence, linger.ms=20, batch.size=65536)", "java", [
            Case("java", client="java", settings=same, n_factor=2),
            Case("confluent-kafka recipe", settings=same, pattern="recipe", n_factor=2),
            Case("confluent-kafka async", settings=same, n_factor=2),
            Case("kafka-python", client="kafka-python", settings=same, n_factor=0.5),
            Case("confluent-kafka AIOProducer", client="aioproducer", settings=same),
            Case("aiokafka", client="aiokafka", settings=same, n_factor=0.5),
        ], min_reps=5),
        Group("client-latency", "Latency per client at the fixed rate (acks=all, linger.ms=0)", "confluent-kafka", [
            Case(label, client=c, settings=s(linger_ms=0), latency=True, throughput=False)
            for label, c in (("confluent-kafka", "confluent-kafka"), ("kafka-python", "kafka-python"),
                             ("java", "java"), ("confluent-kafka AIOProducer", "aioproducer"),
                             ("aiokafka", "aiokafka"))
        ]),
        Group("kafka-python-extras", "kafka-python with and without its C CRC-32C extension (settings as the "
              "client comparison)", "kafka-python, pure-Python CRC-32C", [
            Case("kafka-python, pure-Python CRC-32C", client="kafka-python", settings=same, extras=False),
            Case("kafka-python + crc32c", client="kafka-python", settings=same, extras=True),
        ], min_reps=5),
    ]  # fmt: skip


@dataclass
class Plan:
    mode: str
    reps: int
    records: int
    rate: float
    latency_s: float


PLANS = {
    "quick": Plan("quick", reps=3, records=100_000, rate=1000, latency_s=1.0),
    "full": Plan("full", reps=3, records=100_000, rate=1000, latency_s=3.0),
}


# -- the machine -----------------------------------------------------------------------------
def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next(int(ln.split()[1]) for ln in meminfo if ln.startswith("MemTotal"))
    import aiokafka
    import confluent_kafka
    import kafka

    java = subprocess.run([java_executable(), "-version"], capture_output=True, text=True).stderr.splitlines()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "confluent_kafka": confluent_kafka.__version__,
        "librdkafka": confluent_kafka.libversion()[0],
        "kafka_python": kafka.__version__,
        "aiokafka": aiokafka.__version__,
        "kafka": KAFKA_VERSION,
        "java": java[0] if java else "?",
    }


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


# -- running ---------------------------------------------------------------------------------
def _summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


METRICS = [
    "msgs_per_s", "payload_mb_per_s", "client_cpu_us_per_msg", "broker_cpu_us_per_msg", "records_per_request",
    "stored_per_payload_byte", "client_tx_per_payload_byte", "p50_ms", "p99_ms", "p999_ms",
    "librdkafka_p50_ms", "librdkafka_p99_ms", "records_per_stored_batch",
]  # fmt: skip


def run(
    mode: str,
    bootstrap: str,
    cluster: Cluster,
    progress: bool = True,
    only: list[str] | None = None,
    reps: int | None = None,
    extras: Path | None = None,
) -> dict:
    """extras: a directory with kafka-python's optional packages (pip install --target DIR crc32c);
    without it the kafka-python-extras group is left out, and the result says so."""
    plan = PLANS[mode]
    reps = reps or plan.reps
    started, t0 = datetime.now(UTC), time.monotonic()
    payloads = {"letters100": r.letters_payloads(100), "json": r.json_events()}
    broker_pids = [n.pid for n in cluster.brokers if n.pid]
    chosen = [g for g in groups(mode) if not only or g.name in only]
    skipped = {}
    if extras is None and any(c.extras for g in chosen for c in g.cases):
        skipped = {g.name: "no --kafka-python-extras directory" for g in chosen if any(c.extras for c in g.cases)}
        chosen = [g for g in chosen if g.name not in skipped]
        print(f"left out (no --kafka-python-extras): {', '.join(skipped)}", file=sys.stderr)
    total = sum(len(g.cases) * max(reps, g.min_reps) * 2 for g in chosen)  # upper bound; advanced per step
    out = {
        "mode": mode,
        "started": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "uptime_before": uptime(),
        "loadavg_before": os.getloadavg(),
        "plan": {"reps": reps, "records": plan.records, "rate_msgs_per_s": plan.rate, "latency_s": plan.latency_s},
        "common_settings": r.COMMON,
        "kafka_python_extras": sorted(p.stem for p in extras.glob("*.dist-info")) if extras else None,
        "skipped_groups": skipped,
        "groups": {},
    }
    created: list[str] = []
    bar = tqdm(total=total, disable=not progress, unit="run", dynamic_ncols=True)
    try:
        for g in chosen:
            topics = {}
            for c in g.cases:  # pre-created: the topic exists, fully replicated, before any client runs
                name = new_topic(bootstrap, f"perf-{g.name}-{c.label}", 1, 3, {"min.insync.replicas": "2"})
                topics[c.label] = name
                created.append(name)
            raw: dict[str, list[dict]] = {c.label: [] for c in g.cases}
            g_reps = max(reps, g.min_reps)
            for rep in range(g_reps):
                order = g.cases[rep % len(g.cases) :] + g.cases[: rep % len(g.cases)]  # rotate: A B C, B C A, ...
                for c in order:
                    bar.set_description(f"{g.name}: {c.label} ({rep + 1}/{g_reps})")
                    raw[c.label].append(_one(c, topics[c.label], plan, bootstrap, cluster, broker_pids, payloads,
                                              extras))  # fmt: skip
                    bar.update(2)
            out["groups"][g.name] = _group_summary(g, raw, topics)
    finally:
        bar.close()
        _delete(bootstrap, created)
    out["uptime_after"] = uptime()
    out["loadavg_after"] = os.getloadavg()
    out["elapsed_s"] = time.monotonic() - t0
    return out


def _one(c: Case, topic: str, plan: Plan, bootstrap: str, cluster: Cluster, broker_pids, payloads, extras) -> dict:
    leader = cluster.leader(topic, 0)
    pdir = cluster.node(leader).data_dir / f"{topic}-0" if leader is not None else None
    n = max(50, int(plan.records * c.n_factor))
    data = payloads[c.payload]
    result: dict = {}
    if c.throughput:
        probe = r.Probe(broker_pids, pdir)
        if c.extras is not None:
            f = lambda: r.kafka_python_isolated(  # noqa: E731
                bootstrap, topic, c.settings, c.payload, n, broker_pids, pdir, extras if c.extras else None
            )
        elif c.client == "confluent-kafka":
            f = lambda: r.confluent_throughput(bootstrap, topic, c.settings, data, n, probe, c.pattern, c.native)  # noqa: E731
        elif c.client == "kafka-python":
            f = lambda: r.kafka_python_throughput(bootstrap, topic, c.settings, data, n, probe, c.pattern, c.native)  # noqa: E731
        elif c.client == "aioproducer":
            f = lambda: r.aioproducer_throughput(bootstrap, topic, c.settings, data, n, probe)  # noqa: E731
        elif c.client == "aiokafka":
            f = lambda: r.aiokafka_throughput(bootstrap, topic, c.settings, data, n, probe)  # noqa: E731
        else:
            f = lambda: r.java_run(bootstrap, topic, c.settings, n, 100, -1, probe)  # noqa: E731
        thr = r.kafka_error_safe(f)
        if c.client == "java":  # its latencies at saturation are queueing time in the accumulator: not shown
            thr = {k: v for k, v in thr.items() if not k.endswith("_ms")}
        result.update(thr)
    if c.latency:
        k = int(plan.rate * plan.latency_s)
        at_rate = (bootstrap, topic, c.settings, data[0], plan.rate, plan.latency_s, c.native)
        if c.client == "confluent-kafka":
            f = lambda: r.confluent_latency(*at_rate)  # noqa: E731
        elif c.client == "kafka-python":
            f = lambda: r.kafka_python_latency(*at_rate)  # noqa: E731
        elif c.client == "aioproducer":
            f = lambda: r.aioproducer_latency(*at_rate[:-1])  # noqa: E731
        elif c.client == "aiokafka":
            f = lambda: r.aiokafka_latency(*at_rate[:-1])  # noqa: E731
        else:
            probe = r.Probe(broker_pids, None)
            f = lambda: r.java_run(bootstrap, topic, c.settings, k, 100, plan.rate, probe)  # noqa: E731
        lat = r.kafka_error_safe(f)
        result.update({("lat_" + k2 if k2 in ("errors", "failed") else k2): v for k2, v in lat.items()
                       if k2 in ("p50_ms", "p99_ms", "p999_ms", "max_ms", "librdkafka_p50_ms", "librdkafka_p99_ms",
                                 "errors", "failed", "late_sends", "samples")})  # fmt: skip
    return result


def _group_summary(g: Group, raw: dict[str, list[dict]], topics: dict[str, str]) -> dict:
    cases = {}
    for c in g.cases:
        runs = raw[c.label]
        stats = {}
        for m in METRICS:
            vals = [x[m] for x in runs if isinstance(x.get(m), (int, float)) and x[m] == x[m]]
            if vals:
                stats[m] = _summary(vals)
        cases[c.label] = {
            "client": c.client,
            "pattern": c.pattern,
            "payload": c.payload,
            "settings": c.settings,
            "settings_kind": "the client's own names, over its defaults" if c.native else "Java names, translated",
            "baseline": c.baseline or g.baseline,
            "topic": topics[c.label],
            "stats": stats,
            "failures": [x[k] for x in runs for k in ("failed", "lat_failed") if k in x],
            "errors": sum(x.get("errors", 0) + x.get("lat_errors", 0) for x in runs),
            "runs": runs,
        }
    for case in cases.values():
        base = cases[case["baseline"]]["stats"]
        case["ratio_to_baseline"] = {
            m: case["stats"][m]["median"] / base[m]["median"] for m in case["stats"] if m in base and base[m]["median"]
        }
    out = {"title": g.title, "baseline": g.baseline, "cases": cases}
    if g.ratio_header:
        out["ratio_header"] = g.ratio_header
    return out


def _delete(bootstrap: str, topics: list[str]) -> None:
    if not topics:
        return
    admin = AdminClient({"bootstrap.servers": bootstrap, **SECURITY})
    futures = admin.delete_topics(topics, operation_timeout=30)
    for f in futures.values():
        try:
            f.result(timeout=60)
        except Exception as e:  # cleanup: report, do not mask the results
            print(f"could not delete a topic: {e}", file=sys.stderr)


def slim(result: dict) -> dict:
    """The result without the raw runs: what docs/assets/perf/ keeps."""
    return {**result, "groups": {k: {**g, "cases": {c: {kk: vv for kk, vv in case.items() if kk != "runs"}
                                                    for c, case in g["cases"].items()}}
                                 for k, g in result["groups"].items()}}  # fmt: skip


def save(result: dict, publish: bool) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"perf-{result['mode']}.json"
    path.write_text(json.dumps(result, indent=1, sort_keys=False) + "\n")
    if publish:
        from perf import report

        PUBLISHED.mkdir(parents=True, exist_ok=True)
        (PUBLISHED / f"perf-{result['mode']}.json").write_text(json.dumps(slim(result), indent=1) + "\n")
        report.publish(result, PUBLISHED)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=sorted(PLANS), default="quick")
    ap.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS"))
    ap.add_argument("--state-dir", help="kafkalab state dir of that cluster (broker pids, data dirs)")
    ap.add_argument("--only", nargs="*", help="group names to run (default: all of the mode)")
    ap.add_argument("--reps", type=int, help="repetitions per configuration (default 3)")
    ap.add_argument("--publish", action="store_true", help="write docs/assets/perf/ (JSON, PNGs, tables.txt)")
    ap.add_argument("--kafka-python-extras", type=Path, metavar="DIR",
                    help="kafka-python's optional packages, installed with pip install --target DIR crc32c: "
                         "runs the kafka-python-extras group")  # fmt: skip
    args = ap.parse_args()
    if args.publish and (args.only or args.mode != "full"):
        sys.exit("--publish replaces the whole snapshot: only with a complete --mode full run (no --only)")
    if args.kafka_python_extras and not (args.kafka_python_extras / "crc32c").exists():
        sys.exit(f"no crc32c in {args.kafka_python_extras}: .venv/bin/pip install --target DIR 'crc32c>=2.9,<3'")
    cluster = Cluster.attach(args.state_dir, log=lambda _: None)
    bootstrap = args.bootstrap or cluster.bootstrap_servers
    if bootstrap != cluster.bootstrap_servers:
        sys.exit(f"--bootstrap {bootstrap} is not the cluster in {cluster.state_dir} ({cluster.bootstrap_servers})")
    result = run(args.mode, bootstrap, cluster, only=args.only, reps=args.reps, extras=args.kafka_python_extras)
    path = save(result, args.publish)
    print(f"{path} ({result['elapsed_s']:.0f} s)")


if __name__ == "__main__":
    main()
