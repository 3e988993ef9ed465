"""A producer wrapper that survives a fatal error: it keeps what it was handed until the broker has it,
replaces a dead producer, and sends again what was not acknowledged."""

import contextlib
import os
import time
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


def is_fatal(error: KafkaError) -> bool:
    return error.fatal() or error.code() == KafkaError._FATAL


# --8<-- [start:recipe]
class RecreatingProducer:
    """Transactional: a record counts as acknowledged once its transaction has committed."""

    def __init__(self, config: dict, topic: str, max_recreations: int = 3):
        self.config, self.topic, self.max_recreations = config, topic, max_recreations
        self.unacked: dict[str, bytes] = {}  # event id -> value: handed over, not yet committed
        self.failed: dict[str, KafkaError] = {}  # delivery reports of the current attempt
        self.recreations = 0
        self.producer = self._new_producer()
        self.producer.begin_transaction()

    def _new_producer(self) -> Producer:
        producer = Producer(self.config)
        producer.init_transactions(30)  # fences any older instance with this transactional.id
        return producer

    def _on_delivery(self, err: KafkaError | None, msg) -> None:
        if err is not None:
            self.failed[msg.key().decode()] = err

    def send(self, event_id: str, value: bytes) -> None:
        self.unacked[event_id] = value
        self._produce(event_id, value)

    def _produce(self, event_id: str, value: bytes) -> None:
        try:
            self.producer.produce(self.topic, key=event_id, value=value, on_delivery=self._on_delivery)
        except KafkaException as e:
            if not is_fatal(e.args[0]):
                raise
            self._recreate()  # resends everything unacknowledged, this record included

    # --8<-- [end:recipe]

    # --8<-- [start:commit]
    def commit(self) -> None:
        while True:
            try:
                self.producer.commit_transaction(30)
            except KafkaException as e:
                error = e.args[0]
                if is_fatal(error):
                    self._recreate()
                    continue
                if error.txn_requires_abort():
                    self.producer.abort_transaction(30)
                    self._resend()
                    continue
                raise
            self.unacked.clear()  # committed: now, and only now, acknowledged
            self.failed.clear()
            self.producer.begin_transaction()
            return

    # --8<-- [end:commit]

    # --8<-- [start:recreate]
    def _recreate(self) -> None:
        if self.recreations >= self.max_recreations:
            raise RuntimeError("producer keeps dying: stop and alert")  # the "stop" verdict
        self.recreations += 1
        dead, self.producer = self.producer, None
        dead.purge()  # drop what it still queues: unacked holds a copy
        for step in (lambda: dead.flush(5), dead.close):
            with contextlib.suppress(KafkaException):  # a dead producer raises its fatal error again
                step()
        self.producer = self._new_producer()
        self._resend()

    def _resend(self) -> None:
        self.failed.clear()
        self.producer.begin_transaction()
        for event_id, value in self.unacked.items():  # may duplicate what the broker already stored
            self.producer.produce(self.topic, key=event_id, value=value, on_delivery=self._on_delivery)

    # --8<-- [end:recreate]

    def close(self) -> None:
        if self.producer is None:  # a replacement could not be created
            return
        with contextlib.suppress(KafkaException):
            self.producer.abort_transaction(10)
        self.producer.close()


def _consumer(isolation_level: str) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "group.id": f"fatal-{uuid.uuid4().hex[:8]}",
            "isolation.level": isolation_level,
            "enable.auto.commit": False,
        }
    )


def high_watermark(partition: TopicPartition, timeout: float) -> int:
    consumer = _consumer("read_uncommitted")  # a read_committed consumer is told the LSO instead
    try:
        return consumer.get_watermark_offsets(partition, timeout=timeout)[1]
    finally:
        consumer.close()


def read_keys(topic: str, isolation_level: str, timeout: float = 60.0) -> list[str]:
    """Every key up to the high watermark. commit_transaction() returns before the coordinator has
    written the commit markers, so a read_committed read first waits until the last stable offset
    (what its get_watermark_offsets() returns) reaches the high watermark: no transaction still open."""
    partition = TopicPartition(topic, 0, 0)
    deadline = time.monotonic() + timeout
    end = high_watermark(partition, timeout)
    consumer = _consumer(isolation_level)
    keys: list[str] = []
    try:
        while (stable := consumer.get_watermark_offsets(partition, timeout=timeout)[1]) < end:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: last stable offset {stable} below high watermark {end} after {timeout} s")
            time.sleep(0.1)
        consumer.assign([partition])
        while consumer.position([partition])[0].offset < end and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                keys.append(msg.key().decode())
        if consumer.position([partition])[0].offset < end:
            raise TimeoutError(f"read {len(keys)} records of {topic}, not up to offset {end}, in {timeout} s")
    finally:
        consumer.close()
    return keys


def fence(transactional_id: str) -> None:
    """Another instance with the same transactional.id starts: the running one becomes a zombie."""
    intruder = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "transactional.id": transactional_id})
    intruder.init_transactions(30)
    intruder.close()


def main(batches: int = 3, per_batch: int = 10, fence_in_batch: int = 1) -> dict[str, object]:
    topic = kafkalab.new_topic(BOOTSTRAP_SERVERS, "fatal-recreate")
    transactional_id = f"recreate-{uuid.uuid4().hex[:8]}"
    config = {"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "transactional.id": transactional_id}
    # --8<-- [start:use]
    producer = RecreatingProducer(config, topic)
    try:
        for batch in range(batches):
            for i in range(per_batch):
                producer.send(f"evt-{batch}-{i}", b'{"n": %d}' % i)
            if batch == fence_in_batch:
                producer.producer.flush(10)
                fence(transactional_id)
            producer.commit()
    finally:
        producer.close()
    # --8<-- [end:use]
    sent = [f"evt-{b}-{i}" for b in range(batches) for i in range(per_batch)]
    committed = read_keys(topic, "read_committed")
    in_log = read_keys(topic, "read_uncommitted")
    return {
        "sent": sent,
        "committed": committed,
        "in_log": in_log,
        "recreations": producer.recreations,
        "missing": sorted(set(sent) - set(committed)),
        "duplicates_committed": len(committed) - len(set(committed)),
        "copies_in_log": len(in_log) - len(set(in_log)),
    }


if __name__ == "__main__":
    result = main()
    print(
        f"sent {len(result['sent'])}, read back {len(set(result['committed']))} distinct, "
        f"missing {len(result['missing'])}, duplicates (read_committed) {result['duplicates_committed']}, "
        f"aborted copies in the log {result['copies_in_log']}, producer recreated {result['recreations']}x"
    )
