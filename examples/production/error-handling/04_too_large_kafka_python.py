"""Records that are too large, in kafka-python: over max_request_size, send() raises at once; over the
topic's limit, the future fails, and with idempotence on (the default) the producer stays failed;
a batch of small records that is too large is split and retried."""

import os

from kafka import KafkaProducer
from kafka.errors import KafkaError, MessageSizeTooLargeError

from kafkalab import client_settings, new_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("kafka-python")
TOPIC_LIMIT = 2000  # the topic's max.message.bytes


def over_producer_limit() -> MessageSizeTooLargeError | None:
    topic = new_topic(BOOTSTRAP_SERVERS, "too-large-local")
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","), **SECURITY, max_request_size=10_000)
    error = None
    # --8<-- [start:producer-limit]
    try:
        producer.send(topic, b"x" * 20_000)
    except MessageSizeTooLargeError as exc:  # raised by send() itself, no future
        error = exc
    # --8<-- [end:producer-limit]
    producer.close(timeout=10)
    return error


def over_topic_limit(**producer_config) -> dict:
    """A large record, then a small one, to a topic whose max.message.bytes only the small one fits."""
    topic = new_topic(BOOTSTRAP_SERVERS, "too-large-topic", config={"max.message.bytes": str(TOPIC_LIMIT)})
    # --8<-- [start:topic-limit]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","), **SECURITY, **producer_config)
    outcomes = {}
    for name, value in (("large", b"x" * 5000), ("small", b"x" * 100), ("small again", b"x" * 100)):
        try:
            outcomes[name] = producer.send(topic, value).get(timeout=10)  # RecordMetadata
        except MessageSizeTooLargeError as exc:
            outcomes[name] = exc
    producer.close(timeout=10)
    # --8<-- [end:topic-limit]
    return outcomes


def batch_over_topic_limit() -> dict:
    """Fifty 100-byte records sent with linger_ms so they share a batch larger than the topic's limit."""
    topic = new_topic(BOOTSTRAP_SERVERS, "batch-too-large", config={"max.message.bytes": str(TOPIC_LIMIT)})
    # --8<-- [start:batch-limit]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","), **SECURITY, linger_ms=100)
    futures = [producer.send(topic, b"y" * 100) for _ in range(50)]
    try:
        producer.flush(timeout=10)
        flush_error = None
    except KafkaError as exc:  # kafka-python 3.0.12: UnknownError('Future not done') after a split
        flush_error = exc
    outcomes = []
    for future in futures:  # the futures, not flush(), say what happened to each record
        try:
            outcomes.append(future.get(timeout=10))
        except KafkaError as exc:
            outcomes.append(exc)
    producer.close(timeout=10)
    # --8<-- [end:batch-limit]
    return {"flush_error": flush_error, "outcomes": outcomes}


def main() -> dict:
    return {
        "producer_limit": over_producer_limit(),
        "topic_limit": over_topic_limit(),
        # --8<-- [start:guard]
        "topic_limit_guarded": over_topic_limit(max_request_size=TOPIC_LIMIT),
        # --8<-- [end:guard]
        "topic_limit_not_idempotent": over_topic_limit(enable_idempotence=False),
        "batch": batch_over_topic_limit(),
    }


if __name__ == "__main__":
    result = main()
    print("producer limit:", repr(result["producer_limit"]))
    print("topic limit:", result["topic_limit"])
    print("topic limit, guarded:", result["topic_limit_guarded"])
    print("flush:", repr(result["batch"]["flush_error"]))
    print("batch:", sum(1 for o in result["batch"]["outcomes"] if isinstance(o, Exception)), "of 50 failed")
