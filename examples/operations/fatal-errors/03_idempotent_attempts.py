"""Trying to make an idempotent (non-transactional) producer fail fatally: the broker forgets its records,
or the whole topic, while the producer keeps sending. On Kafka 4.3.1 neither client gets a fatal error."""

import os
import time

from confluent_kafka import KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")
PER_ROUND = 5


def confluent_round(producer: Producer, topic: str, reports: list[KafkaError | None]) -> None:
    for i in range(PER_ROUND):
        producer.produce(topic, value=b"%d" % i, partition=0, on_delivery=lambda err, msg: reports.append(err))
    assert producer.flush(30) == 0, "records still queued"


def kafka_python_round(producer: KafkaProducer, topic: str, reports: list[Exception | None]) -> None:
    for i in range(PER_ROUND):
        try:
            producer.send(topic, value=b"%d" % i, partition=0).get(timeout=30)
            reports.append(None)
        except Exception as error:
            reports.append(error)


def forget(admin: AdminClient, topic: str, how: str) -> None:
    # --8<-- [start:forget]
    if how == "delete_records":
        for future in admin.delete_records([TopicPartition(topic, 0, -1)]).values():  # up to the high watermark
            future.result(timeout=30)
    else:
        for future in admin.delete_topics([topic]).values():
            future.result(timeout=30)
        time.sleep(3)  # the deletion completes asynchronously
        for future in admin.create_topics([NewTopic(topic, 1, 3)]).values():
            future.result(timeout=30)
        time.sleep(3)
    # --8<-- [end:forget]


def main(client: str, how: str) -> dict[str, list]:
    """Send a round, make the broker forget (`delete_records` or `recreate`), send a round again."""
    topic = kafkalab.new_topic(BOOTSTRAP_SERVERS, f"fatal-idem-{how}")
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP_SERVERS, **CONFLUENT_SECURITY})
    error_cb: list[KafkaError] = []
    before: list = []
    after: list = []
    if client == "confluent-kafka":
        producer = Producer(
            {
                "bootstrap.servers": BOOTSTRAP_SERVERS,
                **CONFLUENT_SECURITY,
                "enable.idempotence": True,
                "error_cb": error_cb.append,
                "topic.metadata.refresh.interval.ms": 1000,
            }
        )
        try:
            confluent_round(producer, topic, before)
            forget(admin, topic, how)
            confluent_round(producer, topic, after)
            producer.poll(0)
        finally:
            producer.flush(10)
    else:
        producer = KafkaProducer(
            bootstrap_servers=BOOTSTRAP_SERVERS,
            **KAFKA_PYTHON_SECURITY,
            enable_idempotence=True,
            metadata_max_age_ms=1000,
        )
        try:
            kafka_python_round(producer, topic, before)
            forget(admin, topic, how)
            kafka_python_round(producer, topic, after)
        finally:
            producer.close(timeout=10)
    return {"before": before, "after": after, "error_cb": error_cb}


if __name__ == "__main__":
    for client in ("confluent-kafka", "kafka-python"):
        for how in ("delete_records", "recreate"):
            print(client, how, main(client, how))
