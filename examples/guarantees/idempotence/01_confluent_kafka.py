"""An idempotent producer with confluent-kafka, and the settings librdkafka refuses to combine with it."""

import os

from confluent_kafka import Producer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")

# --8<-- [start:config]
IDEMPOTENT = {
    "bootstrap.servers": BOOTSTRAP_SERVERS,
    **SECURITY,
    "enable.idempotence": True,  # librdkafka's default is False
    "acks": "all",
    "max.in.flight.requests.per.connection": 5,
    "retries": 2147483647,
}
# --8<-- [end:config]


def produce(topic: str, config: dict, values: list[bytes]) -> list[tuple]:
    producer = Producer(config)
    reports = []
    for value in values:
        producer.produce(topic, key=b"account-7", value=value, on_delivery=lambda e, m: reports.append((e, m.offset())))
        producer.poll(0)
    if producer.flush(10):
        raise TimeoutError("some records have no delivery report after 10 s")
    producer.close()
    return reports


def contradictory_producer() -> Producer:
    # --8<-- [start:contradiction]
    return Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "enable.idempotence": True, "acks": "1"})
    # --8<-- [end:contradiction]


def main(topic: str | None = None) -> list[tuple]:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "idempotence-confluent")
    return produce(topic, IDEMPOTENT, [f"deposit-{i}".encode() for i in range(3)])


if __name__ == "__main__":
    print(main())
