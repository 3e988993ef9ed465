"""Figures for the lab cluster: `kafkalab fetch` from an empty cache, time from `up` to ready
(median of N runs, split into format / listeners open / registered and replicated), and resident
memory per JVM. Usage: python benchmarks/cluster_startup.py [--runs 5] [--brokers 3] [--skip-fetch]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from kafkalab import Cluster, fetch

PORT_BASE = 23092  # clear of 9092 (reader), 29092 (tests) and ephemeral ports (32768+)


def time_fetch_from_empty_cache() -> float:
    """A fresh KAFKALAB_HOME and a fresh Maven repository: everything comes from Maven Central."""
    saved = {k: os.environ.get(k) for k in ("KAFKALAB_HOME", "KAFKALAB_MAVEN_ARGS")}
    with tempfile.TemporaryDirectory() as empty:
        os.environ["KAFKALAB_HOME"] = f"{empty}/home"
        os.environ["KAFKALAB_MAVEN_ARGS"] = f"-Dmaven.repo.local={empty}/m2"
        started = time.monotonic()
        try:
            fetch(log=lambda line: print("   ", line))
        finally:
            for k, v in saved.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        return time.monotonic() - started


def one_start(brokers: int) -> dict:
    with tempfile.TemporaryDirectory() as state:
        cluster = Cluster(brokers, port_base=PORT_BASE, state_dir=state, log=lambda _: None)
        cluster.up()
        try:
            rss = {f"{n.spec.role}-{n.spec.node_id}": n.rss_bytes() / 2**20 for n in cluster.nodes}
        finally:
            cluster.down()
    t = cluster.timings
    return {
        "ready_s": t["ready"],
        "format_s": t["formatted"],
        "jvm_start_to_listening_s": t["listening"] - t["formatted"],
        "registration_and_isr_wait_s": t["ready"] - t["listening"],
        "rss_mb": rss,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--brokers", type=int, default=3)
    ap.add_argument("--skip-fetch", action="store_true")
    args = ap.parse_args()
    fetch(log=print)  # the cached runtime the start-up runs use

    result: dict = {"brokers": args.brokers, "cpus": os.cpu_count()}
    if not args.skip_fetch:
        print("kafkalab fetch from an empty cache ...")
        result["fetch_empty_cache_s"] = time_fetch_from_empty_cache()
        print(f"  fetch from empty cache: {result['fetch_empty_cache_s']:.1f}s")

    runs = []
    for i in range(args.runs):
        run = one_start(args.brokers)
        runs.append(run)
        mem = ", ".join(f"{k} {v:.0f}" for k, v in run["rss_mb"].items())
        print(f"  run {i + 1}/{args.runs}: ready {run['ready_s']:.1f}s (format {run['format_s']:.1f}, "
              f"JVMs to listening {run['jvm_start_to_listening_s']:.1f}, "
              f"registration+ISR {run['registration_and_isr_wait_s']:.1f}); RSS MB: {mem}")  # fmt: skip
        time.sleep(1)
    result["runs"] = runs
    for key in ("ready_s", "format_s", "jvm_start_to_listening_s", "registration_and_isr_wait_s"):
        values = [r[key] for r in runs]
        result[f"median_{key}"] = statistics.median(values)
        print(f"median {key}: {statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})")
    all_rss = [v for r in runs for v in r["rss_mb"].values()]
    result["max_rss_mb"] = max(all_rss)
    print(f"max RSS of any JVM: {max(all_rss):.0f} MB (goal <= 400)")
    out = Path(__file__).parent / "results" / "cluster_startup.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
