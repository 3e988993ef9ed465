"""Per-request latency the producer adds to the FastAPI service of docs/asyncio/web-service.md.

For acks=all and acks=1, and for await-per-request and fire-and-collect, starts the service under uvicorn
(a separate process, one at a time), sends REQUESTS requests one after another (plus a warm-up) and prints
p50/p99 in milliseconds. Needs a running cluster: KAFKA_BOOTSTRAP_SERVERS=$(kafkalab bootstrap).

    KAFKA_BOOTSTRAP_SERVERS=$(.venv/bin/kafkalab bootstrap) .venv/bin/python benchmarks/asyncio_web_latency.py
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from kafkalab import new_topic

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = int(os.environ.get("REQUESTS", "500"))
WARM_UP = 50
CASES = [("all", "await"), ("1", "await"), ("all", "collect"), ("1", "collect")]


def _server_module():
    spec = importlib.util.spec_from_file_location("web_service_server", ROOT / "examples/asyncio/web-service/server.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(server, bootstrap: str, acks: str, mode: str) -> list[float]:
    topic = new_topic(bootstrap, f"latency-{acks}-{mode}", partitions=3)
    env = {"EVENTS_TOPIC": topic, "EVENTS_ACKS": acks, "EVENTS_MODE": mode, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    with tempfile.TemporaryDirectory() as tmp, server.serve("01_app.py", env, Path(tmp) / "uvicorn.log") as running:
        latencies = []
        with httpx.Client(base_url=running.url, timeout=10) as http:
            for i in range(WARM_UP + REQUESTS):
                started = time.perf_counter()
                response = http.post(f"/tasks/task-{i % 10}/events", json={"event_type": "task.updated"})
                elapsed = time.perf_counter() - started
                response.raise_for_status()
                if i >= WARM_UP:
                    latencies.append(elapsed * 1000)
    return latencies


def main() -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        sys.exit("set KAFKA_BOOTSTRAP_SERVERS (for example $(.venv/bin/kafkalab bootstrap))")
    server = _server_module()
    print(f"{REQUESTS} sequential requests per case, milliseconds")
    print(f"{'acks':<5} {'pattern':<8} {'p50':>7} {'p99':>7}")
    for acks, mode in CASES:
        latencies = sorted(measure(server, bootstrap, acks, mode))
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(f"{acks:<5} {mode:<8} {statistics.median(latencies):7.2f} {p99:7.2f}")


if __name__ == "__main__":
    main()
