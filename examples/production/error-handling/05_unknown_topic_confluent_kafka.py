"""Producing to a topic that does not exist (the cluster does not create topics on demand): produce()
accepts the record, and the delivery report fails later, with a code that depends on which timer fires first."""

import os
import time
import uuid

from confluent_kafka import KafkaError, Producer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


def produce_to_missing_topic(extra_config: dict) -> tuple[KafkaError | None, float]:
    """Returns the delivery error and the seconds from produce() to the delivery report."""
    topic = f"no-such-topic-{uuid.uuid4().hex[:8]}"
    # --8<-- [start:missing-topic]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, **extra_config})
    reports = []
    started = time.monotonic()
    producer.produce(topic, b"lost?", on_delivery=lambda err, msg: reports.append((err, time.monotonic() - started)))
    producer.flush(60)  # produce() did not raise: the error arrives in the delivery report
    # --8<-- [end:missing-topic]
    ((err, elapsed),) = reports
    return err, elapsed


def main() -> dict:
    return {
        # --8<-- [start:timers]
        # message.timeout.ms (alias delivery.timeout.ms) fires first: _MSG_TIMED_OUT
        "message_timeout": produce_to_missing_topic({"message.timeout.ms": 3000}),
        # topic.metadata.propagation.max.ms fires first: UNKNOWN_TOPIC_OR_PART
        "propagation_timeout": produce_to_missing_topic({"topic.metadata.propagation.max.ms": 2000}),
        # --8<-- [end:timers]
    }


if __name__ == "__main__":
    for name, (err, elapsed) in main().items():
        print(f"{name}: {err.name()} after {elapsed:.1f} s (retriable() is {err.retriable()})")
