"""Shared producer vs one producer per thread, for confluent-kafka and kafka-python, side by side in one run.

THREADS threads each send RECORDS records of 100 bytes (acks=all, idempotence, each client's default linger)
to a fresh 3-partition topic, either through one producer they share or through a producer each; the run
ends when every delivery report has arrived. Prints records/s, the process's CPU seconds (every thread,
the clients' own included) per 10,000 records, and the ratios shared / per-thread. The cases run in turns,
ROUNDS times, and the medians are printed. Needs a running cluster:

    KAFKA_BOOTSTRAP_SERVERS=$(.venv/bin/kafkalab bootstrap) .venv/bin/python benchmarks/producer_threads.py
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time

from confluent_kafka import Producer
from kafka import KafkaProducer

from kafkalab import client_settings, new_topic

CONFLUENT_SECURITY = client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = client_settings("kafka-python")

THREADS = int(os.environ.get("THREADS", "4"))
RECORDS = int(os.environ.get("RECORDS", "20000"))  # per thread
ROUNDS = int(os.environ.get("ROUNDS", "3"))
PAYLOAD = b"x" * 100
CASES = [("confluent-kafka", "shared"), ("confluent-kafka", "per-thread"), ("kafka-python", "shared"),
         ("kafka-python", "per-thread")]  # fmt: skip


class Counted:
    """Delivery reports counted across threads; errors kept apart."""

    def __init__(self) -> None:
        self.lock, self.ok, self.errors = threading.Lock(), 0, 0

    def __call__(self, err, _msg=None) -> None:
        with self.lock:
            if err is None:
                self.ok += 1
            else:
                self.errors += 1


def _confluent(bootstrap: str):
    return Producer({"bootstrap.servers": bootstrap, **CONFLUENT_SECURITY, "acks": "all", "enable.idempotence": True})


def _kafka_python(bootstrap: str, n: int):
    return KafkaProducer(
        bootstrap_servers=bootstrap, **KAFKA_PYTHON_SECURITY, acks="all", client_id=f"bench-threads-{n}"
    )


def _send_confluent(producer, topic: str, n: int, counted: Counted) -> None:
    key = f"thread-{n}".encode()
    for _ in range(RECORDS):
        while True:
            try:
                producer.produce(topic, PAYLOAD, key, on_delivery=counted)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush(60)


def _send_kafka_python(producer, topic: str, n: int, counted: Counted) -> None:
    key = f"thread-{n}".encode()
    for _ in range(RECORDS):
        producer.send(topic, PAYLOAD, key).add_callback(lambda _md: counted(None)).add_errback(counted)
    producer.flush(60)


def one_case(bootstrap: str, client: str, mode: str) -> dict:
    topic = new_topic(bootstrap, f"bench-threads-{client}-{mode}", partitions=3, replication_factor=3)
    make = (lambda n: _confluent(bootstrap)) if client == "confluent-kafka" else (lambda n: _kafka_python(bootstrap, n))
    send = _send_confluent if client == "confluent-kafka" else _send_kafka_python
    shared = make(0) if mode == "shared" else None
    producers = [shared or make(n) for n in range(THREADS)]
    for p in {id(p): p for p in producers}.values():  # connected and warm before the clock starts
        send_warm = p.produce if client == "confluent-kafka" else p.send
        send_warm(topic, b"warm-up")
        p.flush(30)
    counted = Counted()
    threads = [threading.Thread(target=send, args=(producers[n], topic, n, counted)) for n in range(THREADS)]
    cpu, wall = time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    for p in {id(p): p for p in producers}.values():
        if client == "kafka-python":
            p.close(timeout=10)
    total = THREADS * RECORDS
    return {"delivered": counted.ok, "errors": counted.errors, "records": total, "msgs_per_s": total / wall,
            "cpu_s_per_10k": cpu / total * 10_000}  # fmt: skip


def run(bootstrap: str) -> dict:
    samples: dict[tuple[str, str], list[dict]] = {case: [] for case in CASES}
    for _ in range(ROUNDS):
        for case in CASES:
            samples[case].append(one_case(bootstrap, *case))
    out = {}
    for case, runs in samples.items():
        out[case] = {
            "delivered": sum(r["delivered"] for r in runs), "errors": sum(r["errors"] for r in runs),
            "records": sum(r["records"] for r in runs),
            "msgs_per_s": statistics.median(r["msgs_per_s"] for r in runs),
            "cpu_s_per_10k": statistics.median(r["cpu_s_per_10k"] for r in runs),
        }  # fmt: skip
    return out


def main() -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        sys.exit("set KAFKA_BOOTSTRAP_SERVERS (for example $(.venv/bin/kafkalab bootstrap))")
    print(f"{THREADS} threads x {RECORDS} records of {len(PAYLOAD)} bytes, median of {ROUNDS} rounds")
    result = run(bootstrap)
    print(f"{'client':<16} {'producers':<11} {'records/s':>10} {'CPU s/10k':>10} {'delivered':>10}")
    for (client, mode), r in result.items():
        print(f"{client:<16} {mode:<11} {r['msgs_per_s']:>10.0f} {r['cpu_s_per_10k']:>10.3f} "
              f"{r['delivered']:>5}/{r['records']}")  # fmt: skip
    for client in ("confluent-kafka", "kafka-python"):
        s, p = result[client, "shared"], result[client, "per-thread"]
        print(f"ratio {client} shared/per-thread: throughput {s['msgs_per_s'] / p['msgs_per_s']:.2f}x, "
              f"CPU per record {s['cpu_s_per_10k'] / p['cpu_s_per_10k']:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
