"""Your first message with kafka-python: produce one record, then read it back from where it landed."""

import os
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")


def produce_one(topic: str) -> dict:
    # --8<-- [start:produce]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)
    try:
        future = producer.send(topic, key=b"greeting", value=b"hello, kafka")
        metadata = future.get(timeout=10)  # raises if the broker refused the record
        print(f"written to {metadata.topic} partition {metadata.partition} at offset {metadata.offset}")
    finally:
        producer.close(timeout=10)
    # --8<-- [end:produce]
    return {"partition": metadata.partition, "offset": metadata.offset}


def read_back(topic: str, partition: int, offset: int) -> dict:
    # --8<-- [start:consume]
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY, enable_auto_commit=False)
    where = TopicPartition(topic, partition)
    consumer.assign([where])
    consumer.seek(where, offset)
    try:
        deadline = time.monotonic() + 10
        records = []
        while not records and time.monotonic() < deadline:
            records = consumer.poll(timeout_ms=1000).get(where, [])
        if not records:
            raise TimeoutError("nothing read within 10 s")
        record = records[0]
        print(f"read {record.key!r} -> {record.value!r} from offset {record.offset}")
    finally:
        consumer.close()
    # --8<-- [end:consume]
    return {"partition": record.partition, "offset": record.offset, "key": record.key, "value": record.value}


def main(topic: str | None = None) -> dict:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "first-message")
    sent = produce_one(topic)
    return {"sent": sent, "received": read_back(topic, sent["partition"], sent["offset"])}


if __name__ == "__main__":
    main()
