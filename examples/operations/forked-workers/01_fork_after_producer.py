"""The mistake: a producer created in the parent, then used by workers that multiprocessing forked from it.

Each worker produces RECORDS_PER_WORKER records, counts its delivery reports, flushes with a timeout and
tells the parent what it saw. `main()` returns those reports; the test reads the topic back."""

import json
import multiprocessing
import multiprocessing.pool
import os
import sys
import time
import uuid

from confluent_kafka import Producer
from kafka import KafkaProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")
TOPIC = f"forked-{uuid.uuid4().hex[:8]}"
WORKERS = 2
RECORDS_PER_WORKER = 10
FLUSH_TIMEOUT = 5.0
HANG_AFTER_S = 30  # a worker still silent this long after its flush timeout is counted as hung
MAX_BLOCK_MS = 60_000  # kafka-python's default: how long send() waits for the topic's metadata

producer = None  # the parent's producer, inherited by every forked worker


# --8<-- [start:confluent-kafka-worker]
def confluent_kafka_worker(n: int) -> dict:
    reports = {"delivered": 0, "failed": 0}

    def on_delivery(err, msg):
        reports["failed" if err else "delivered"] += 1

    for i in range(RECORDS_PER_WORKER):
        producer.produce(TOPIC, f"worker {n} record {i}".encode(), on_delivery=on_delivery)
    started = time.monotonic()
    still_queued = producer.flush(FLUSH_TIMEOUT)
    return reports | {"flush": still_queued, "flush_s": time.monotonic() - started, "pid": os.getpid()}


# --8<-- [end:confluent-kafka-worker]


# --8<-- [start:kafka-python-worker]
def kafka_python_worker(n: int) -> dict:
    report = {"pid": os.getpid()}
    started = time.monotonic()
    try:
        futures = [producer.send(TOPIC, f"worker {n} record {i}".encode()) for i in range(RECORDS_PER_WORKER)]
    except Exception as e:
        return report | {"send": type(e).__name__, "send_s": time.monotonic() - started}
    started = time.monotonic()
    try:
        producer.flush(FLUSH_TIMEOUT)
        report["flush"] = None
    except Exception as e:
        report["flush"] = type(e).__name__
    report["flush_s"] = time.monotonic() - started
    started = time.monotonic()
    try:
        producer.close(FLUSH_TIMEOUT)
        report["close"] = None
    except Exception as e:
        report["close"] = type(e).__name__
    report["close_s"] = time.monotonic() - started
    report["delivered"] = sum(f.is_done and f.succeeded() for f in futures)
    report["failed"] = sum(f.is_done and f.failed() for f in futures)
    return report


# --8<-- [end:kafka-python-worker]


def outcome(pending: multiprocessing.pool.AsyncResult) -> dict:
    """A worker's report, or {"hung": True}: a fork copies locks that the parent's client threads held at that
    moment, and a worker that needs one of them waits forever (leaving the pool ends it)."""
    try:
        return pending.get(timeout=FLUSH_TIMEOUT + HANG_AFTER_S)
    except multiprocessing.TimeoutError:
        return {"hung": True}


def new_producer(client: str):
    if client == "confluent-kafka":
        return Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **CONFLUENT_SECURITY})
    return KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **KAFKA_PYTHON_SECURITY, max_block_ms=MAX_BLOCK_MS)


def main(client: str = "confluent-kafka", used_before_fork: bool = False) -> list[dict]:
    """Workers' reports; with `used_before_fork` the parent produces one record (and waits for it) first."""
    global producer
    worker = confluent_kafka_worker if client == "confluent-kafka" else kafka_python_worker
    # --8<-- [start:mistake]
    producer = new_producer(client)  # in the parent
    # --8<-- [end:mistake]
    if used_before_fork:
        if client == "confluent-kafka":
            producer.produce(TOPIC, b"from the parent")
            assert producer.flush(30) == 0
        else:
            producer.send(TOPIC, b"from the parent").get(timeout=30)
    try:
        # --8<-- [start:pool]
        with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
            pending = [pool.apply_async(worker, (n,)) for n in range(WORKERS)]
            reports = [outcome(p) for p in pending]
        # --8<-- [end:pool]
    finally:  # the parent's producer and its threads end here: a later fork from this process inherits none
        if client == "confluent-kafka":
            producer.flush(5)
        else:
            producer.close(5)
        producer = None
    return reports


if __name__ == "__main__":
    # python 01_fork_after_producer.py [client] [fresh|used] [topic] [max_block_ms]: one JSON line of reports
    args = sys.argv[1:]
    TOPIC = args[2] if len(args) > 2 else TOPIC
    MAX_BLOCK_MS = int(args[3]) if len(args) > 3 else MAX_BLOCK_MS
    found = main(args[0] if args else "confluent-kafka", len(args) > 1 and args[1] == "used")
    print(json.dumps({"at": time.time(), "what": "counts", "parent": os.getpid(), "reports": found}), flush=True)
