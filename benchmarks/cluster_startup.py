"""Figures for the lab cluster: `kafkalab fetch` from an empty cache, the first `up` of a runtime
(which builds the start-up caches), and the time from `up` to ready with each speed-up on its own
and all together, run side by side: the variants take turns within each round (their order rotating),
so a change in machine load hits them all alike. Prints medians, ratios against today's path (every
speed-up off), the split into format / listeners open / registered and replicated, and resident
memory per JVM.

Usage: python benchmarks/cluster_startup.py [--runs 5] [--brokers 3] [--variants today,all]
       [--skip-fetch] [--skip-first-up]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from kafkalab import Cluster, PortBusy, fetch

PORT_BASE = 23092  # clear of 9092 (reader), 29092 (tests) and ephemeral ports (32768+)
# Lever 4 measured on its own: fewer threads than kafkalab's topology already sets, on every node
# (the dedicated controller included, which otherwise runs Kafka's default pools).
FEWER_THREADS = {
    "num.network.threads": 1,
    "num.io.threads": 1,
    "background.threads": 1,
    "group.coordinator.threads": 1,
    "num.recovery.threads.per.data.dir": 1,
}
# Cluster keywords per variant; "all" is kafkalab's default.
VARIANTS: dict[str, dict] = {
    "today": {"speedups": ()},
    "archive": {"speedups": ("class-archive",)},
    "template": {"speedups": ("storage-template",)},
    "flags": {"speedups": ("jvm-flags",)},
    "threads": {"speedups": (), "overrides": FEWER_THREADS},
    "all": {},
    "all+threads": {"overrides": FEWER_THREADS},
}
PHASES = ("ready_s", "format_s", "jvm_start_to_listening_s", "registration_and_isr_wait_s")


def time_fetch_from_empty_cache() -> float:
    """A fresh KAFKALAB_HOME and a fresh Maven repository: everything comes from Maven Central."""
    with (
        tempfile.TemporaryDirectory() as empty,
        _env(KAFKALAB_HOME=f"{empty}/home", KAFKALAB_MAVEN_ARGS=f"-Dmaven.repo.local={empty}/m2"),
    ):
        started = time.monotonic()
        fetch(log=lambda line: print("   ", line))
        return time.monotonic() - started


def time_first_up(brokers: int) -> dict:
    """`up` with the cached jars but no start-up caches yet: a KAFKALAB_HOME of its own whose runtime
    folders link to the cached ones, as after `kafkalab fetch` on a new machine."""
    runtime = fetch(log=lambda _: None).root
    with tempfile.TemporaryDirectory() as scratch:
        linked = Path(scratch) / "home" / "runtime" / runtime.name
        linked.mkdir(parents=True)
        for entry in runtime.iterdir():
            if entry.name != "startup":
                (linked / entry.name).symlink_to(entry)
        with _env(KAFKALAB_HOME=f"{scratch}/home"):
            first = one_start(brokers, "all")
            second = one_start(brokers, "all")
    return {
        "first_up_s": first["total_s"],
        "archive_build_s": first["archive_build_s"],
        "second_up_s": second["ready_s"],
    }


class _env:
    def __init__(self, **values: str) -> None:
        self.values = values
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for k, v in self.values.items():
            self.saved[k] = os.environ.get(k)
            os.environ[k] = v

    def __exit__(self, *exc: object) -> None:
        for k, v in self.saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def one_start(brokers: int, variant: str) -> dict:
    with tempfile.TemporaryDirectory() as state:
        cluster = Cluster(brokers, port_base=PORT_BASE, state_dir=state, log=lambda _: None, **VARIANTS[variant])
        started = time.monotonic()
        _up_when_ports_free(cluster)
        total = time.monotonic() - started
        try:
            rss = {f"{n.spec.role}-{n.spec.node_id}": n.rss_bytes() / 2**20 for n in cluster.nodes}
        finally:
            cluster.down()
    t = cluster.timings
    return {
        "variant": variant,
        "ready_s": t["ready"],
        "total_s": total,
        "archive_build_s": t.get("class_archive_built", 0.0),
        "format_s": t["formatted"],
        "jvm_start_to_listening_s": t["listening"] - t["formatted"],
        "registration_and_isr_wait_s": t["ready"] - t["listening"],
        "rss_mb": rss,
        "load_1min": os.getloadavg()[0],
    }


def _up_when_ports_free(cluster: Cluster, within: float = 60.0) -> None:
    """The previous run's killed brokers can hold a port for a moment (a client connection still
    closing); wait for it rather than sleep a fixed time."""
    deadline = time.monotonic() + within
    while True:
        gc.collect()  # admin clients of the previous run close their connections
        try:
            cluster.up()
            return
        except PortBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="rounds; each runs every variant once")
    ap.add_argument("--brokers", type=int, default=3)
    ap.add_argument(
        "--variants",
        default="today,archive,template,flags,threads,all",
        help=f"comma-separated, from {','.join(VARIANTS)}",
    )
    ap.add_argument("--skip-fetch", action="store_true", help="skip `fetch` from an empty cache")
    ap.add_argument("--skip-first-up", action="store_true", help="skip the first `up` of a runtime")
    args = ap.parse_args()
    variants = args.variants.split(",")
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        ap.error(f"unknown variants {sorted(unknown)}")
    fetch(log=print)  # the cached runtime the start-up runs use

    result: dict = {"brokers": args.brokers, "cpus": os.cpu_count(), "load_at_start": os.getloadavg()}
    if not args.skip_fetch:
        print("kafkalab fetch from an empty cache ...")
        result["fetch_empty_cache_s"] = time_fetch_from_empty_cache()
        print(f"  fetch from empty cache: {result['fetch_empty_cache_s']:.1f}s")
    if not args.skip_first_up:
        result["first_up"] = time_first_up(args.brokers)
        f = result["first_up"]
        print(f"  first up of a runtime: {f['first_up_s']:.1f}s (archive build {f['archive_build_s']:.1f}s), "
              f"then {f['second_up_s']:.1f}s")  # fmt: skip

    print("warm-up: one discarded start per variant (builds its archive and templates) ...")
    for variant in variants:
        one_start(args.brokers, variant)
    runs = []
    for i in range(args.runs):
        order = variants[i % len(variants) :] + variants[: i % len(variants)]
        for variant in order:
            run = one_start(args.brokers, variant)
            runs.append(run)
            mem = ", ".join(f"{k} {v:.0f}" for k, v in run["rss_mb"].items())
            print(f"  round {i + 1}/{args.runs} {variant:>8}: ready {run['ready_s']:.2f}s "
                  f"(format {run['format_s']:.2f}, "
                  f"JVMs to listening {run['jvm_start_to_listening_s']:.2f}, "
                  f"registration+ISR {run['registration_and_isr_wait_s']:.2f}); RSS MB: {mem}; "
                  f"load {run['load_1min']:.1f}")  # fmt: skip
    result["runs"] = runs
    result["load_at_end"] = os.getloadavg()

    summary: dict[str, dict] = {}
    for variant in variants:
        mine = [r for r in runs if r["variant"] == variant]
        summary[variant] = {f"median_{k}": statistics.median(r[k] for r in mine) for k in PHASES}
        summary[variant]["max_rss_mb"] = max(v for r in mine for v in r["rss_mb"].values())
    base = summary.get("today", summary[variants[0]])["median_ready_s"]
    print(f"\n{args.brokers} broker(s), {args.runs} rounds, load average {result['load_at_start'][0]:.1f} -> "
          f"{result['load_at_end'][0]:.1f}")  # fmt: skip
    print(f"{'variant':>8}  {'ready':>6}  {'ratio':>5}  {'format':>6}  {'to listen':>9}  {'reg+ISR':>7}  max RSS")
    for variant, s in summary.items():
        s["ratio_to_today"] = s["median_ready_s"] / base
        print(f"{variant:>8}  {s['median_ready_s']:6.2f}  {s['ratio_to_today']:5.2f}  {s['median_format_s']:6.2f}  "
              f"{s['median_jvm_start_to_listening_s']:9.2f}  {s['median_registration_and_isr_wait_s']:7.2f}  "
              f"{s['max_rss_mb']:.0f} MB")  # fmt: skip
    result["summary"] = summary
    print("goal: ready <= 4 s for 3 brokers + controller, <= 1.5 s for one combined node; RSS <= 400 MB")
    out = Path(__file__).parent / "results" / f"cluster_startup_{args.brokers}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
