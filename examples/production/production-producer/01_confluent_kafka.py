"""Your production producer with confluent-kafka: the reliable settings, delivery reports classified by
error code, back-pressure, a thread that serves the reports, and a bounded shutdown that accounts for
every record."""

import os
import threading
import time
from dataclasses import dataclass, field
from enum import Enum

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from kafkalab import client_settings, new_topic
from kafkalab.lab import read_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("confluent-kafka")
TOPIC_CONFIG = {"min.insync.replicas": "2", "unclean.leader.election.enable": "false"}  # with 3 replicas

# --8<-- [start:settings]
SETTINGS = {
    "acks": "all",
    "enable.idempotence": True,  # off by default in librdkafka
    "max.in.flight.requests.per.connection": 5,
    "retries": 2147483647,  # the default: delivery.timeout.ms is what ends retrying
    "delivery.timeout.ms": 300000,  # the longest outage a record may wait out
    "linger.ms": 5,
    "compression.type": "lz4",
}
# --8<-- [end:settings]


# --8<-- [start:classify]
class Verdict(Enum):
    RETRY_LATER = "the record is fine, the cluster was not: keep it and send it again later"
    DEAD_LETTER = "the record itself is refused: park it in a dead-letter topic"
    STOP = "configuration, permissions or a fatal error: stop producing and alert"


RETRY_LATER = {
    KafkaError._MSG_TIMED_OUT,  # delivery.timeout.ms ran out while the client retried
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError.NOT_ENOUGH_REPLICAS,
    KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError._TRANSPORT,
    KafkaError._PURGE_QUEUE,  # queued at shutdown: never sent, or sent and unanswered (may be stored)
    KafkaError._PURGE_INFLIGHT,  # awaiting its answer at shutdown (may be stored)
}
DEAD_LETTER = {KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.INVALID_RECORD, KafkaError.INVALID_TIMESTAMP}


def classify(err: KafkaError) -> Verdict:
    """By code: err.retriable() is False in every delivery report."""
    if err.code() in RETRY_LATER:
        return Verdict.RETRY_LATER
    if err.code() in DEAD_LETTER:
        return Verdict.DEAD_LETTER
    return Verdict.STOP  # an error you did not plan for is not retried blindly


# --8<-- [end:classify]


@dataclass(frozen=True)
class Failure:
    key: bytes | None
    value: bytes | None
    error: KafkaError
    verdict: Verdict


@dataclass
class Outcome:
    """What became of every record given to send(): delivered, or in `failed` with its verdict."""

    delivered: int
    failed: list[Failure] = field(default_factory=list)
    unaccounted: int = 0  # records without any report: must be 0
    seconds: float = 0.0


class ProductionProducer:
    """One per process, shared by every thread that produces."""

    def __init__(self, bootstrap_servers: str = BOOTSTRAP_SERVERS, **overrides: object) -> None:
        config = {
            "bootstrap.servers": bootstrap_servers,
            **SECURITY,
            **SETTINGS,
            **overrides,
            "error_cb": self._on_error,
        }
        self._producer = Producer(config)
        self._lock = threading.Lock()
        self.delivered = 0
        self.failed: list[Failure] = []
        self.stopped_by: KafkaError | None = None
        self._closing = threading.Event()
        self._poller = threading.Thread(target=self._serve_reports, name="delivery-reports", daemon=True)
        self._poller.start()

    # --8<-- [start:poll]
    def _serve_reports(self) -> None:
        while not self._closing.is_set():
            self._producer.poll(0.1)  # the delivery reports run here, on this thread

    # --8<-- [end:poll]

    # --8<-- [start:report]
    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            with self._lock:
                self.delivered += 1
        else:
            self._fail(msg.key(), msg.value(), err)

    def _fail(self, key: bytes | None, value: bytes | None, err: KafkaError) -> None:
        verdict = classify(err)
        with self._lock:
            self.failed.append(Failure(key, value, err, verdict))
            if verdict is Verdict.STOP and self.stopped_by is None:
                self.stopped_by = err

    def _on_error(self, err: KafkaError) -> None:
        # Producer-wide: a broker going down is retried by librdkafka itself; a fatal error is not.
        if err.fatal() or err.code() == KafkaError._FATAL:
            with self._lock:
                self.stopped_by = self.stopped_by or err

    # --8<-- [end:report]

    # --8<-- [start:send]
    def send(self, topic: str, key: bytes, value: bytes, max_wait: float = 30.0) -> None:
        """Queue one record. Waits while the local queue is full, at most max_wait seconds (then BufferError)."""
        if self.stopped_by is not None:
            raise RuntimeError(f"producer stopped after {self.stopped_by.name()}: fix that before sending more")
        deadline = time.monotonic() + max_wait
        while True:
            try:
                self._producer.produce(topic, value, key, on_delivery=self._on_delivery)
                return
            except BufferError:  # full: the report thread frees room as acknowledgements come in
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            except KafkaException as exc:  # refused by the client itself, e.g. over message.max.bytes
                self._fail(key, value, exc.args[0])
                return

    # --8<-- [end:send]

    # --8<-- [start:close]
    def close(self, timeout: float = 30.0) -> Outcome:
        """Wait at most `timeout` seconds for the outstanding records, then fail the rest: afterwards every
        record is either delivered or in `failed`."""
        started = time.monotonic()
        if self._producer.flush(timeout):  # records still without a report
            self._producer.purge()  # fails them: _PURGE_QUEUE (never sent) or _PURGE_INFLIGHT
        unaccounted = self._producer.flush(5)  # serves the purged records' reports
        self._closing.set()
        self._poller.join(timeout=5)
        self._producer.close()  # nothing left to wait for: returns at once
        with self._lock:
            return Outcome(self.delivered, list(self.failed), unaccounted, time.monotonic() - started)

    # --8<-- [end:close]


def main(records: int = 1000, keys: int = 10) -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "orders", partitions=3, replication_factor=3, config=TOPIC_CONFIG)
    # --8<-- [start:use]
    producer = ProductionProducer(BOOTSTRAP_SERVERS)
    try:
        for i in range(records):
            key = f"customer-{i % keys}"
            producer.send(topic, key.encode(), f"{key}:{i // keys}".encode())
    finally:
        outcome = producer.close(timeout=30)
    for failure in outcome.failed:  # in a service: a retry store, a dead-letter topic, an alert
        print(f"not delivered: {failure.key!r} {failure.error.name()}: {failure.verdict.value}")
    if outcome.unaccounted:
        print(f"{outcome.unaccounted} records got no report in time: their fate is unknown")
    # --8<-- [end:use]
    return {"topic": topic, "records": records, "outcome": outcome, "read_back": read_topic(BOOTSTRAP_SERVERS, topic)}


if __name__ == "__main__":
    result = main()
    outcome = result["outcome"]
    print(f"{outcome.delivered} delivered, {len(outcome.failed)} failed, {len(result['read_back'])} read back")
