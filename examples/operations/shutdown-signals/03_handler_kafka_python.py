"""The shutdown recipe for kafka-python: on SIGTERM or SIGINT stop taking work, flush within the grace period,
and account for every record: delivered, failed (with its error), unanswered at exit, or not taken.

Run as a child process by the tests (settings from the environment); it prints one JSON line per step.
"""

import json
import os
import signal
import threading
import time

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")
TOPIC = os.environ.get("SHUTDOWN_TOPIC", "shutdown-with-handler")
QUEUED_FIRST = int(os.environ.get("SHUTDOWN_RECORDS", "100"))
WORK = QUEUED_FIRST + 1000
LINGER_MS = int(os.environ.get("SHUTDOWN_LINGER_MS", "60000"))
SHUTDOWN_BUDGET = float(os.environ.get("SHUTDOWN_BUDGET_SECONDS", "20"))

stopping = threading.Event()


def on_signal(signum, _frame) -> None:
    stopping.set()


def install_handlers() -> None:
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def report(what: str, **details) -> None:
    print(json.dumps({"at": time.time(), "what": what, **details}), flush=True)


# --8<-- [start:shutdown]
def shut_down(producer: KafkaProducer, futures: dict, not_taken: list[str]) -> None:
    started = time.monotonic()
    try:
        producer.flush(timeout=SHUTDOWN_BUDGET)
        producer.close(timeout=1)
    except KafkaTimeoutError:
        pass  # records still unanswered: close() would raise the same, so it is not called
    delivered = [v for v, f in futures.items() if f.succeeded()]
    failed = {v: type(f.exception).__name__ for v, f in futures.items() if f.failed()}
    unanswered = [v for v, f in futures.items() if not f.is_done]
    report(
        "accounting", delivered=delivered, failed=failed | dict.fromkeys(unanswered, "unanswered at exit"),
        not_taken=not_taken, left_after_flush=len(unanswered), seconds=round(time.monotonic() - started, 2),
    )  # fmt: skip


# --8<-- [end:shutdown]


def main() -> None:
    install_handlers()
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY, linger_ms=LINGER_MS, acks="all")
    futures = {}
    work = [f"record-{i}" for i in range(WORK)]
    for i, value in enumerate(work):
        if stopping.is_set():
            shut_down(producer, futures, not_taken=work[i:])
            return
        futures[value] = producer.send(TOPIC, value.encode())
        if i + 1 == QUEUED_FIRST:
            report("queued", records=QUEUED_FIRST)
        if i + 1 >= QUEUED_FIRST:
            stopping.wait(0.05)
    shut_down(producer, futures, not_taken=[])


if __name__ == "__main__":
    main()
