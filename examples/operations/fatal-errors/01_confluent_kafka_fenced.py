"""A fenced transactional producer with confluent-kafka: where librdkafka reports the fatal error."""

import contextlib
import os
import uuid

from confluent_kafka import KafkaError, KafkaException, Producer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


def transactional_producer(transactional_id: str, errors: list[KafkaError] | None = None) -> Producer:
    config = {"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "transactional.id": transactional_id}
    if errors is not None:
        config["error_cb"] = errors.append
    producer = Producer(config)
    producer.init_transactions(30)
    return producer


# --8<-- [start:is-fatal]
def is_fatal(error: KafkaError) -> bool:
    """True when this producer instance can never send again and must be replaced."""
    return error.fatal() or error.code() == KafkaError._FATAL


# --8<-- [end:is-fatal]


def raised(call) -> KafkaError | None:
    try:
        call()
    except KafkaException as e:
        return e.args[0]
    return None


def main() -> dict[str, object]:
    topic = kafkalab.new_topic(BOOTSTRAP_SERVERS, "fatal-fenced")
    transactional_id = f"fatal-{uuid.uuid4().hex[:8]}"
    error_cb: list[KafkaError] = []
    reports: list[KafkaError | None] = []
    zombie = transactional_producer(transactional_id, error_cb)
    zombie.begin_transaction()
    zombie.produce(topic, value=b"before", on_delivery=lambda err, msg: reports.append(err))
    zombie.flush(10)
    successor = transactional_producer(transactional_id)  # same id: the zombie is fenced
    try:
        # --8<-- [start:observe]
        zombie.produce(topic, value=b"after", on_delivery=lambda err, msg: reports.append(err))
        polled = raised(lambda: zombie.poll(5))  # the fatal error is raised here...
        committed = raised(lambda: zombie.commit_transaction(10))  # ...and by every transactional call
        produced = raised(lambda: zombie.produce(topic, value=b"later"))  # produce() refuses with _FATAL
        # --8<-- [end:observe]
        zombie.poll(0)
        return {
            "poll": polled,
            "commit": committed,
            "produce": produced,
            "reports": list(reports),
            "error_cb": list(error_cb),
        }
    finally:
        # --8<-- [start:close]
        zombie.purge()  # drop what is still queued: the dead instance can never deliver it
        for step in (lambda: zombie.flush(5), zombie.close):
            with contextlib.suppress(KafkaException):  # both may raise the fatal error once more
                step()
        # --8<-- [end:close]
        successor.close()


if __name__ == "__main__":
    for where, what in main().items():
        print(where, what)
