"""Transactions with confluent-kafka: an order and its audit record, committed together or not at all."""

import contextlib
import os
import time
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


def transactional_producer(transactional_id: str) -> Producer:
    # --8<-- [start:init]
    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "transactional.id": transactional_id,  # implies enable.idempotence=true
            "transaction.timeout.ms": 60000,
        }
    )
    producer.init_transactions(30)  # fences any older producer with this transactional.id
    # --8<-- [end:init]
    return producer


def commit_order(producer: Producer, orders: str, audit: str, order_id: bytes, order: bytes) -> None:
    # --8<-- [start:commit]
    producer.begin_transaction()
    producer.produce(orders, key=order_id, value=order)
    producer.produce(audit, key=order_id, value=b"accepted " + order_id)
    producer.commit_transaction(30)  # flushes, then commits both records or neither
    # --8<-- [end:commit]


def abort_order(producer: Producer, orders: str, audit: str, order_id: bytes, order: bytes) -> None:
    # --8<-- [start:abort]
    producer.begin_transaction()
    producer.produce(orders, key=order_id, value=order)
    producer.produce(audit, key=order_id, value=b"accepted " + order_id)
    producer.flush(10)  # the records reach the log...
    producer.abort_transaction(30)  # ...and are marked aborted there
    # --8<-- [end:abort]


def commit_or_close(producer: Producer, orders: str, audit: str, order_id: bytes, order: bytes) -> KafkaError | None:
    # --8<-- [start:fenced]
    try:
        commit_order(producer, orders, audit, order_id, order)
    except KafkaException as e:
        error = e.args[0]
        if not error.fatal():
            raise
        with contextlib.suppress(KafkaException):  # close() may raise the fatal error again, and closes anyway
            producer.close()  # fenced (or another fatal error): this instance can never send again
        return error
    # --8<-- [end:fenced]
    return None


def read(topic: str, isolation_level: str, timeout: float = 10.0) -> list[bytes]:
    # --8<-- [start:read]
    consumer = Consumer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "group.id": f"transactions-{uuid.uuid4().hex[:8]}",
            "isolation.level": isolation_level,
            "enable.auto.commit": False,
        }
    )
    # --8<-- [end:read]
    partition = TopicPartition(topic, 0, 0)
    values = []
    try:
        end = consumer.get_watermark_offsets(partition, timeout=timeout)[1]
        consumer.assign([partition])
        deadline = time.monotonic() + timeout
        while consumer.position([partition])[0].offset < end and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                values.append(msg.value())
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
        producer.close()
    return {
        f"{name} {level}": read(topic, level)
        for name, topic in (("orders", orders), ("audit", audit))
        for level in ("read_committed", "read_uncommitted")
    }


if __name__ == "__main__":
    for what, values in main().items():
        print(what, values)
