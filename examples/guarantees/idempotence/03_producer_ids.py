"""Ask the partition leader which producers it tracks: idempotent producers show up with their id and sequence."""

import os

from kafka import KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")


def active_producers(topic: str, partition: int = 0) -> list:
    # --8<-- [start:describe]
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)
    try:
        tp = TopicPartition(topic, partition)
        states = admin.describe_producers([tp])[tp].active_producers
    finally:
        admin.close()
    # --8<-- [end:describe]
    return states


def main(topic: str | None = None) -> list:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "idempotence-producer-ids")
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)  # all defaults
    try:
        futures = [producer.send(topic, value=f"deposit-{i}".encode()) for i in range(3)]
        producer.flush(timeout=10)
        for future in futures:
            future.get(timeout=10)  # raises if the record failed
    finally:
        producer.close(timeout=10)
    return active_producers(topic)


if __name__ == "__main__":
    for state in main():
        print(f"producer id {state.producer_id}, epoch {state.producer_epoch}, last sequence {state.last_sequence}")
