"""Transactions with kafka-python: an order and its audit record, committed together or not at all."""

import os
import time
import uuid

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError, ProducerFencedError

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")


def transactional_producer(transactional_id: str) -> KafkaProducer:
    # --8<-- [start:init]
    producer = KafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        **SECURITY,
        transactional_id=transactional_id,  # implies enable_idempotence=True
        transaction_timeout_ms=60000,
        max_block_ms=30000,
    )
    producer.init_transactions()  # fences any older producer with this transactional_id
    # --8<-- [end:init]
    return producer


def commit_order(producer: KafkaProducer, orders: str, audit: str, order_id: bytes, order: bytes) -> None:
    # --8<-- [start:commit]
    producer.begin_transaction()
    producer.send(orders, key=order_id, value=order)
    producer.send(audit, key=order_id, value=b"accepted " + order_id)
    producer.commit_transaction()  # flushes, then commits both records or neither
    # --8<-- [end:commit]


def abort_order(producer: KafkaProducer, orders: str, audit: str, order_id: bytes, order: bytes) -> None:
    # --8<-- [start:abort]
    producer.begin_transaction()
    producer.send(orders, key=order_id, value=order)
    producer.send(audit, key=order_id, value=b"accepted " + order_id)
    producer.flush(10)  # the records reach the log...
    producer.abort_transaction()  # ...and are marked aborted there
    # --8<-- [end:abort]


# --8<-- [start:fenced]
def is_fenced(error: KafkaError) -> bool:
    """kafka-python reports a fenced producer three ways: ProducerFencedError itself (from the commit), a
    KafkaError from send() carrying it as its last argument, or a KafkaError from the commit whose message
    names it ("... we are in an error state: [Error 90] ProducerFencedError")."""
    last = error.args[-1] if error.args else None
    return (
        isinstance(error, ProducerFencedError)
        or isinstance(last, ProducerFencedError)
        or ("ProducerFencedError" in str(error))
    )


def commit_or_close(
    producer: KafkaProducer, orders: str, audit: str, order_id: bytes, order: bytes
) -> KafkaError | None:
    try:
        commit_order(producer, orders, audit, order_id, order)
    except KafkaError as error:
        if not is_fenced(error):
            raise
        producer.close(timeout=10)  # this instance can never send again
        return error
    # --8<-- [end:fenced]
    return None


def read(topic: str, isolation_level: str, timeout: float = 10.0) -> list[bytes]:
    # --8<-- [start:read]
    consumer = KafkaConsumer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        **SECURITY,
        isolation_level=isolation_level,
        enable_auto_commit=False,
    )
    # --8<-- [end:read]
    partition = TopicPartition(topic, 0)
    values = []
    try:
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        end = consumer.end_offsets([partition])[partition]
        deadline = time.monotonic() + timeout
        while consumer.position(partition) < end and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(record.value for record in records)
    finally:
        consumer.close()
    return values


def main(transactional_id: str = "order-processor-1") -> dict[str, list[bytes]]:
    orders = kafkalab.new_topic(BOOTSTRAP_SERVERS, "transactions-orders")
    audit = kafkalab.new_topic(BOOTSTRAP_SERVERS, "transactions-audit")
    producer = transactional_producer(f"{transactional_id}-{uuid.uuid4().hex[:8]}")
    try:
        commit_order(producer, orders, audit, b"order-1", b'{"qty": 5}')
        abort_order(producer, orders, audit, b"order-2", b'{"qty": 7}')
    finally:
        producer.close(timeout=10)
    return {
        f"{name} {level}": read(topic, level)
        for name, topic in (("orders", orders), ("audit", audit))
        for level in ("read_committed", "read_uncommitted")
    }


if __name__ == "__main__":
    for what, values in main().items():
        print(what, values)
