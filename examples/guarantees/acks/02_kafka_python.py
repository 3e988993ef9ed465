"""The three acks levels with kafka-python: what each RecordMetadata tells you."""

import os

from kafka import KafkaProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")

# --8<-- [start:configs]
ACKS_CONFIGS = {
    "0": {"acks": 0, "enable_idempotence": False},  # no answer from the broker at all
    "1": {"acks": 1, "enable_idempotence": False},  # the leader's word only
    "all": {"acks": "all", "enable_idempotence": True},  # every in-sync replica
}
# --8<-- [end:configs]


def produce(topic: str, acks: str, values: list[bytes]) -> list:
    # --8<-- [start:produce]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY, **ACKS_CONFIGS[acks])
    try:
        futures = [producer.send(topic, value=value) for value in values]
        producer.flush(10)
        metadata = [future.get(timeout=10) for future in futures]
    finally:
        producer.close(timeout=10)
    # --8<-- [end:produce]
    return metadata


def main(topic: str | None = None) -> dict[str, list]:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "acks-kafka-python")
    levels = ("all", "1", "0")  # acks=0 last, so its records do not sit at offsets 0, 1, 2
    return {acks: produce(topic, acks, [f"acks-{acks}-{i}".encode() for i in range(3)]) for acks in levels}


if __name__ == "__main__":
    for level, metadata in main().items():
        print(f"acks={level}: {[(m.partition, m.offset) for m in metadata]}")
