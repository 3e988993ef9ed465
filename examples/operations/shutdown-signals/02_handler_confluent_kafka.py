"""The shutdown recipe for confluent-kafka: on SIGTERM or SIGINT stop taking work, flush within the grace
period, purge what is left, and account for every record: delivered, failed (with its error) or not taken.

Run as a child process by the tests (settings from the environment); it prints one JSON line per step.
"""

import json
import os
import signal
import threading
import time

from confluent_kafka import Producer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
TOPIC = os.environ.get("SHUTDOWN_TOPIC", "shutdown-with-handler")
QUEUED_FIRST = int(os.environ.get("SHUTDOWN_RECORDS", "100"))
WORK = QUEUED_FIRST + 1000  # records the process would send if it ran to the end
LINGER_MS = int(os.environ.get("SHUTDOWN_LINGER_MS", "60000"))
SHUTDOWN_BUDGET = float(os.environ.get("SHUTDOWN_BUDGET_SECONDS", "20"))  # below the platform's grace period


def report(what: str, **details) -> None:
    print(json.dumps({"at": time.time(), "what": what, **details}), flush=True)


# --8<-- [start:handler]
stopping = threading.Event()


def on_signal(signum, _frame) -> None:
    stopping.set()


def install_handlers() -> None:
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


# --8<-- [end:handler]


class Accounting:
    def __init__(self) -> None:
        self.delivered: list[str] = []
        self.failed: dict[str, str] = {}

    def on_delivery(self, err, msg) -> None:
        if err is None:
            self.delivered.append(msg.value().decode())
        else:
            self.failed[msg.value().decode()] = err.name()


# --8<-- [start:shutdown]
def shut_down(producer: Producer, accounting: Accounting, not_taken: list[str]) -> None:
    started = time.monotonic()
    remaining = producer.flush(timeout=SHUTDOWN_BUDGET)
    if remaining:
        producer.purge()  # fails what is still queued or in flight: _PURGE_QUEUE, _PURGE_INFLIGHT
        producer.flush(timeout=1)  # serves those reports
    producer.close()
    report(
        "accounting", delivered=accounting.delivered, failed=accounting.failed, not_taken=not_taken,
        left_after_flush=remaining, seconds=round(time.monotonic() - started, 2),
    )  # fmt: skip


# --8<-- [end:shutdown]


# --8<-- [start:main]
def main() -> None:
    install_handlers()
    accounting = Accounting()
    producer = Producer(
        {"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "linger.ms": LINGER_MS, "enable.idempotence": True}
    )
    work = [f"record-{i}" for i in range(WORK)]
    for i, value in enumerate(work):
        if stopping.is_set():
            shut_down(producer, accounting, not_taken=work[i:])
            return
        producer.produce(TOPIC, value.encode(), on_delivery=accounting.on_delivery)
        producer.poll(0)
        if i + 1 == QUEUED_FIRST:
            report("queued", records=QUEUED_FIRST)
        if i + 1 >= QUEUED_FIRST:
            stopping.wait(0.05)  # the rest of the work arrives slowly
    shut_down(producer, accounting, not_taken=[])


# --8<-- [end:main]


if __name__ == "__main__":
    main()
