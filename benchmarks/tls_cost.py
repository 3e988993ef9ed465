"""What TLS costs a producer: the same confluent-kafka producer, the same records, acks=all, against two
one-broker kafkalab clusters started side by side, one PLAINTEXT and one TLS (server-authenticated).

    .venv/bin/python benchmarks/tls_cost.py --port-base 33092 --state-dir /tmp/tls-cost [--rounds 3] [--full-jit]

Rounds alternate (plaintext, TLS, plaintext, TLS, ...), each on a fresh topic. Each round measures
throughput (records/s and MB/s, from the first produce() to the last delivery report) and the
latency of each record (from produce() to its delivery report: median and p99) at a fixed rate
below either cluster's limit. Prints the medians and the TLS/plaintext ratios.

kafkalab's lab brokers run with the C1 compiler only (quick to start, slower at steady state); --full-jit
starts both with the JVM's default tiered compilation, as a production broker runs: TLS costs the broker
CPU, so the ratio depends on it.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from pathlib import Path

from confluent_kafka import Producer

from kafkalab import Cluster

RECORD = b"x" * 512
LAB_SPEEDUPS = frozenset({"class-archive", "storage-template", "jvm-flags"})  # Cluster's default speedups


def throughput(bootstrap: str, config: dict, topic: str, records: int) -> float:
    producer = Producer({"bootstrap.servers": bootstrap, **config, "acks": "all", "linger.ms": 5})
    failed = []
    start = time.perf_counter()
    for _ in range(records):
        while True:
            try:
                producer.produce(topic, RECORD, on_delivery=lambda err, msg: err and failed.append(err))
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    assert producer.flush(120) == 0 and not failed, failed[:3]
    return records / (time.perf_counter() - start)


def latencies(bootstrap: str, config: dict, topic: str, records: int, rate: float) -> list[float]:
    producer = Producer({"bootstrap.servers": bootstrap, **config, "acks": "all", "linger.ms": 0})
    out: list[float] = []
    start = time.perf_counter()
    for i in range(records):
        due = start + i / rate
        while (now := time.perf_counter()) < due:
            producer.poll(max(0.0, min(0.001, due - now)))
        sent = time.perf_counter()

        def report(err, msg, sent=sent):
            assert err is None, err
            out.append(time.perf_counter() - sent)

        producer.produce(topic, RECORD, on_delivery=report)
        producer.poll(0)
    assert producer.flush(60) == 0
    return out


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--port-base", type=int, default=33092)
    args.add_argument("--state-dir", type=Path, required=True)
    args.add_argument("--rounds", type=int, default=3)
    args.add_argument("--records", type=int, default=100_000)
    args.add_argument("--latency-records", type=int, default=5_000)
    args.add_argument("--rate", type=float, default=2_000.0, help="records/s for the latency run")
    args.add_argument("--full-jit", action="store_true", help="brokers with the C2 compiler too (production-like)")
    opts = args.parse_args()
    jit = {"speedups": LAB_SPEEDUPS - {"jvm-flags"}} if opts.full_jit else {}
    clusters = {
        "plaintext": Cluster(1, port_base=opts.port_base, state_dir=opts.state_dir / "plain", die_with_parent=True,
                             **jit),
        "tls": Cluster(1, port_base=opts.port_base + 1, state_dir=opts.state_dir / "tls", tls="server",
                       die_with_parent=True, **jit),
    }  # fmt: skip
    results: dict[str, dict[str, list[float]]] = {k: {"rps": [], "p50": [], "p99": []} for k in clusters}
    try:
        for cluster in clusters.values():
            cluster.up()
        for round_ in range(opts.rounds):
            for name, cluster in clusters.items():
                topic = f"tls-cost-{uuid.uuid4().hex[:8]}"
                cluster.create_topic(topic)
                config = cluster.client_config()
                rps = throughput(cluster.bootstrap_servers, config, topic, opts.records)
                lat = latencies(cluster.bootstrap_servers, config, topic, opts.latency_records, opts.rate)
                results[name]["rps"].append(rps)
                results[name]["p50"].append(p(lat, 0.5) * 1000)
                results[name]["p99"].append(p(lat, 0.99) * 1000)
                mb = rps * len(RECORD) / 1e6
                p50, p99 = results[name]["p50"][-1], results[name]["p99"][-1]
                print(f"round {round_ + 1} {name:>9}: {rps:9.0f} records/s ({mb:5.1f} MB/s), "
                      f"latency p50 {p50:.2f} ms, p99 {p99:.2f} ms", flush=True)  # fmt: skip
    finally:
        for cluster in clusters.values():
            cluster.down()
    med = {k: {m: statistics.median(v) for m, v in r.items()} for k, r in results.items()}
    brokers = "brokers with tiered JIT (C1+C2)" if opts.full_jit else "lab brokers (C1 only)"
    print(f"\n{opts.records} records of {len(RECORD)} B, acks=all, linger.ms=5, one broker; latency at "
          f"{opts.rate:.0f} records/s, linger.ms=0; medians of {opts.rounds} rounds; {brokers}")  # fmt: skip
    for name, m in med.items():
        print(f"{name:>9}: {m['rps']:9.0f} records/s, p50 {m['p50']:.2f} ms, p99 {m['p99']:.2f} ms")
    ratio = {m: med["tls"][m] / med["plaintext"][m] for m in ("rps", "p50", "p99")}
    print(f"TLS / plaintext: throughput x{ratio['rps']:.2f}, p50 x{ratio['p50']:.2f}, p99 x{ratio['p99']:.2f}")


if __name__ == "__main__":
    main()
