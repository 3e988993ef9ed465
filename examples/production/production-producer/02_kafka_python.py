"""Your production producer with kafka-python: the reliable settings, failures classified by error type,
a bounded backlog, callbacks on the sender thread, and a bounded shutdown that accounts for every record."""

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from enum import Enum

import kafka.errors as Errors
from kafka import KafkaProducer

from kafkalab import client_settings, new_topic
from kafkalab.lab import read_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("kafka-python")
TOPIC_CONFIG = {"min.insync.replicas": "2", "unclean.leader.election.enable": "false"}  # with 3 replicas

# --8<-- [start:settings]
SETTINGS = {
    "acks": "all",
    "enable_idempotence": True,  # kafka-python's default, made explicit
    "max_in_flight_requests_per_connection": 5,
    "retries": 2147483647,  # unlimited by default: delivery_timeout_ms is what ends retrying
    "delivery_timeout_ms": 300000,  # the longest outage a record may wait out (default 120000)
    "linger_ms": 5,
    "compression_type": "gzip",  # lz4 needs the separate lz4 package
}
MAX_PENDING = 10_000  # unacknowledged records before send() waits: kafka-python has no bound of its own
# --8<-- [end:settings]


# --8<-- [start:classify]
class Verdict(Enum):
    RETRY_LATER = "the record is fine, the cluster was not: keep it and send it again later"
    DEAD_LETTER = "the record itself is refused: park it in a dead-letter topic"
    STOP = "configuration, permissions or a fatal error: stop producing and alert"


class Unanswered(Exception):
    """A record still without an answer when close() stopped waiting: it may or may not be stored."""


RETRY_LATER = (
    Errors.KafkaTimeoutError,  # delivery_timeout_ms ran out, or no metadata within max_block_ms
    Errors.RequestTimedOutError,
    Errors.NotEnoughReplicasError,
    Errors.NotEnoughReplicasAfterAppendError,
    Errors.LeaderNotAvailableError,
    Errors.NotLeaderForPartitionError,
    Errors.KafkaConnectionError,
    Unanswered,
)
DEAD_LETTER = (Errors.MessageSizeTooLargeError, Errors.InvalidRecordError, Errors.InvalidTimestampError)


def classify(error: Exception) -> Verdict:
    if isinstance(error, RETRY_LATER):
        return Verdict.RETRY_LATER
    if isinstance(error, DEAD_LETTER):
        return Verdict.DEAD_LETTER
    return Verdict.STOP  # an error you did not plan for is not retried blindly


# --8<-- [end:classify]


@dataclass(frozen=True)
class Failure:
    key: bytes | None
    value: bytes | None
    error: Exception
    verdict: Verdict


@dataclass
class Outcome:
    """What became of every record given to send(): delivered, or in `failed` with its verdict."""

    delivered: int
    failed: list[Failure] = field(default_factory=list)
    closed: bool = True  # False: kafka-python could not stop in time, its sender thread still runs
    seconds: float = 0.0


class ProductionProducer:
    """One per process, shared by every thread that produces."""

    def __init__(
        self, bootstrap_servers: str = BOOTSTRAP_SERVERS, max_pending: int = MAX_PENDING, **overrides: object
    ) -> None:
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap_servers.split(","), **SECURITY, **{**SETTINGS, **overrides}
        )
        self._max_pending = max_pending
        self._changed = threading.Condition()
        self._unfinished: dict[int, tuple[bytes | None, bytes | None]] = {}  # record id -> (key, value)
        self._next_id = 0
        self.delivered = 0
        self.failed: list[Failure] = []
        self.stopped_by: Exception | None = None

    # --8<-- [start:report]
    # Both run on kafka-python's sender thread: quick, and under the lock.
    def _on_success(self, record_id: int, _metadata: object) -> None:
        with self._changed:
            if self._unfinished.pop(record_id, None) is not None:
                self.delivered += 1
            self._changed.notify_all()

    def _on_failure(self, record_id: int, error: Exception) -> None:
        with self._changed:
            record = self._unfinished.pop(record_id, None)
            if record is not None:
                self._fail(*record, error)
            self._changed.notify_all()

    def _fail(self, key: bytes | None, value: bytes | None, error: Exception) -> None:  # with the lock held
        verdict = classify(error)
        self.failed.append(Failure(key, value, error, verdict))
        if verdict is Verdict.STOP and self.stopped_by is None:
            self.stopped_by = error

    # --8<-- [end:report]

    # --8<-- [start:send]
    def send(self, topic: str, key: bytes, value: bytes, max_wait: float = 30.0) -> None:
        """Queue one record. Waits while max_pending records are unacknowledged, at most max_wait seconds."""
        if self.stopped_by is not None:
            raise RuntimeError(f"producer stopped after {self.stopped_by!r}: fix that before sending more")
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._unfinished) < self._max_pending, max_wait):
                raise BufferError(f"{self._max_pending} records still unacknowledged after {max_wait} s")
            record_id, self._next_id = self._next_id, self._next_id + 1
            self._unfinished[record_id] = (key, value)
        try:
            future = self._producer.send(topic, value=value, key=key)
        except Errors.KafkaError as exc:  # refused before it was queued: too large, or no metadata in time
            self._on_failure(record_id, exc)
            return
        except BaseException:  # a bug in the call (a str value, say): not a record to account for
            with self._changed:
                del self._unfinished[record_id]
            raise
        future.add_callback(self._on_success, record_id)
        future.add_errback(self._on_failure, record_id)

    # --8<-- [end:send]

    # --8<-- [start:close]
    def close(self, timeout: float = 30.0) -> Outcome:
        """Wait at most `timeout` seconds for the outstanding records, then fail the rest: afterwards every
        record is either delivered or in `failed`."""
        started = time.monotonic()
        with contextlib.suppress(Errors.KafkaError):  # KafkaTimeoutError: some records are still unanswered
            self._producer.flush(timeout=timeout)
        with self._changed:  # flush() can also give up early (UnknownError after a split batch, in 3.0.12)
            left = max(0.0, started + timeout - time.monotonic())
            finished = self._changed.wait_for(lambda: not self._unfinished, left)
            for key, value in self._unfinished.values():
                self._fail(key, value, Unanswered(f"no answer within the {timeout} s shutdown bound"))
            self._unfinished.clear()
            outcome = Outcome(self.delivered, list(self.failed), finished)
        # kafka-python 3.0.12: close() flushes first, and raises instead of closing while records still wait
        with contextlib.suppress(Errors.KafkaTimeoutError):
            self._producer.close(timeout=5 if finished else 0)
        outcome.seconds = time.monotonic() - started
        return outcome

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
        print(f"not delivered: {failure.key!r} {failure.error!r}: {failure.verdict.value}")
    if not outcome.closed:
        print("the producer did not stop in time: its sender thread still runs")
    # --8<-- [end:use]
    return {"topic": topic, "records": records, "outcome": outcome, "read_back": read_topic(BOOTSTRAP_SERVERS, topic)}


if __name__ == "__main__":
    result = main()
    outcome = result["outcome"]
    print(f"{outcome.delivered} delivered, {len(outcome.failed)} failed, {len(result['read_back'])} read back")
