"""The three acks levels with confluent-kafka: what each delivery report tells you."""

import os

from confluent_kafka import Producer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")

# --8<-- [start:configs]
ACKS_CONFIGS = {
    "0": {"acks": "0", "enable.idempotence": False},  # no answer from the broker at all
    "1": {"acks": "1", "enable.idempotence": False},  # the leader's word only
    "all": {"acks": "all", "enable.idempotence": True},  # every in-sync replica
}
# --8<-- [end:configs]


def produce(topic: str, acks: str, values: list[bytes]) -> list[tuple]:
    # --8<-- [start:produce]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, **ACKS_CONFIGS[acks]})
    reports = []

    def on_delivery(err, msg):
        reports.append((err, msg.partition(), msg.offset()))

    for value in values:
        producer.produce(topic, value=value, on_delivery=on_delivery)
        producer.poll(0)  # serve the reports that have arrived
    if producer.flush(10):  # records still without a report
        raise TimeoutError("some records have no delivery report after 10 s")
    producer.close()
    # --8<-- [end:produce]
    return reports


def main(topic: str | None = None) -> dict[str, list[tuple]]:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "acks-confluent")
    levels = ("all", "1", "0")  # acks=0 last, so its records do not sit at offsets 0, 1, 2
    return {acks: produce(topic, acks, [f"acks-{acks}-{i}".encode() for i in range(3)]) for acks in levels}


if __name__ == "__main__":
    for level, reports in main().items():
        print(f"acks={level}: {reports}")
