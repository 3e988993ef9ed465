"""An idempotent producer with kafka-python, and what it does with settings that contradict idempotence."""

import os

from kafka import KafkaProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")


def idempotent_producer() -> KafkaProducer:
    # --8<-- [start:config]
    return KafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        **SECURITY,
        enable_idempotence=True,  # kafka-python's default, made explicit
        acks="all",
        max_in_flight_requests_per_connection=5,
        retries=2147483647,
    )
    # --8<-- [end:config]


def contradictory_producer() -> KafkaProducer:
    # --8<-- [start:contradiction]
    return KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY, enable_idempotence=True, acks=1)
    # --8<-- [end:contradiction]


def acks_1_only() -> bool:
    # --8<-- [start:silent]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY, acks=1)  # idempotence left at its default
    idempotent = producer.config["enable_idempotence"]  # False now, and a warning was logged
    producer.close(timeout=10)
    # --8<-- [end:silent]
    return idempotent


def produce(producer: KafkaProducer, topic: str, values: list[bytes]) -> list:
    try:
        futures = [producer.send(topic, key=b"account-7", value=value) for value in values]
        producer.flush(timeout=10)
        return [future.get(timeout=10) for future in futures]
    finally:
        producer.close(timeout=10)


def main(topic: str | None = None) -> list:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "idempotence-kafka-python")
    return produce(idempotent_producer(), topic, [f"deposit-{i}".encode() for i in range(3)])


if __name__ == "__main__":
    print([(m.partition, m.offset) for m in main()])
