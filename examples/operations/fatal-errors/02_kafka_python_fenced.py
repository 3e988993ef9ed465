"""A fenced transactional producer with kafka-python: which exceptions say the instance is dead."""

import os
import uuid

from kafka import KafkaProducer
from kafka.errors import KafkaError

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")


def transactional_producer(transactional_id: str) -> KafkaProducer:
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY, transactional_id=transactional_id)
    producer.init_transactions()
    return producer


def raised(call) -> KafkaError | None:
    try:
        call()
    except KafkaError as error:
        return error
    return None


def main() -> dict[str, KafkaError | None]:
    topic = kafkalab.new_topic(BOOTSTRAP_SERVERS, "fatal-fenced-kp")
    transactional_id = f"fatal-kp-{uuid.uuid4().hex[:8]}"
    zombie = transactional_producer(transactional_id)
    zombie.begin_transaction()
    zombie.send(topic, b"before").get(timeout=10)
    successor = transactional_producer(transactional_id)  # same id: the zombie is fenced
    try:
        # --8<-- [start:observe]
        future = zombie.send(topic, b"after")
        delivered = raised(lambda: future.get(timeout=10))  # InvalidProducerEpochError (47)
        sent = raised(lambda: zombie.send(topic, b"later"))  # every later call raises a KafkaError
        committed = raised(lambda: zombie.commit_transaction())
        aborted = raised(lambda: zombie.abort_transaction())
        # --8<-- [end:observe]
        return {"future": delivered, "send": sent, "commit": committed, "abort": aborted}
    finally:
        # --8<-- [start:close]
        zombie.close(timeout=10)  # bounded: never close() without a timeout
        # --8<-- [end:close]
        successor.close(timeout=10)


if __name__ == "__main__":
    for where, what in main().items():
        print(where, repr(what))
