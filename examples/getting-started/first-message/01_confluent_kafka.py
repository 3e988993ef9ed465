"""Your first message with confluent-kafka: produce one record, then read it back from where it landed."""

import os
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


def produce_one(topic: str) -> dict:
    # --8<-- [start:produce]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    reports = []
    producer.produce(
        topic,
        key=b"greeting",
        value=b"hello, kafka",
        on_delivery=lambda err, msg: reports.append((err, msg)),
    )
    if producer.flush(10):  # sends, waits, runs on_delivery; returns how many are still queued
        raise TimeoutError("not delivered within 10 s")
    err, msg = reports[0]
    if err is not None:
        raise KafkaException(err)
    print(f"written to {msg.topic()} partition {msg.partition()} at offset {msg.offset()}")
    # --8<-- [end:produce]
    return {"partition": msg.partition(), "offset": msg.offset()}


def read_back(topic: str, partition: int, offset: int) -> dict:
    # --8<-- [start:consume]
    consumer = Consumer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "group.id": "first-message-reader"})
    consumer.assign([TopicPartition(topic, partition, offset)])
    try:
        deadline = time.monotonic() + 10
        record = None
        while record is None and time.monotonic() < deadline:
            record = consumer.poll(1.0)
        if record is None or record.error():
            raise KafkaException(record.error() if record else "nothing read within 10 s")
        print(f"read {record.key()!r} -> {record.value()!r} from offset {record.offset()}")
    finally:
        consumer.close()
    # --8<-- [end:consume]
    return {
        "partition": record.partition(),
        "offset": record.offset(),
        "key": record.key(),
        "value": record.value(),
    }


def main(topic: str | None = None) -> dict:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "first-message")
    sent = produce_one(topic)
    return {"sent": sent, "received": read_back(topic, sent["partition"], sent["offset"])}


if __name__ == "__main__":
    main()
