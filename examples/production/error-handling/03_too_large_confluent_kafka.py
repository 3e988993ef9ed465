"""Records that are too large, in confluent-kafka: over the producer's own limit, produce() raises;
over the topic's limit, the broker rejects the whole batch and each record's delivery report says so."""

import os

from confluent_kafka import KafkaException, Producer

from kafkalab import client_settings, new_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("confluent-kafka")
TOPIC_LIMIT = 2000  # the topic's max.message.bytes


def over_producer_limit() -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "too-large-local")
    # --8<-- [start:producer-limit]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "message.max.bytes": 10_000})
    try:
        producer.produce(topic, b"x" * 20_000)
    except KafkaException as exc:
        error = exc.args[0]  # a KafkaError: error.code() == KafkaError.MSG_SIZE_TOO_LARGE
    # --8<-- [end:producer-limit]
    else:
        error = None
    queued = len(producer)  # nothing was queued, so no delivery report can follow
    producer.flush(10)
    return {"error": error, "queued": queued}


def over_topic_limit(**extra_config) -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "too-large-topic", config={"max.message.bytes": str(TOPIC_LIMIT)})
    # --8<-- [start:topic-limit]
    # message.max.bytes: about 1 MB
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, **extra_config})
    reports = {}

    def on_delivery(err, msg):
        reports[msg.value()[:5]] = err

    producer.produce(topic, b"large" + b"x" * 5000, on_delivery=on_delivery)
    producer.flush(10)
    producer.produce(topic, b"small" + b"x" * 100, on_delivery=on_delivery)
    producer.flush(10)
    # --8<-- [end:topic-limit]
    return reports


def batch_over_topic_limit(batch_size: int | None) -> list:
    """Fifty 100-byte records, each far below the topic's limit, sent with linger.ms so they share a batch."""
    topic = new_topic(BOOTSTRAP_SERVERS, "batch-too-large", config={"max.message.bytes": str(TOPIC_LIMIT)})
    # --8<-- [start:batch-limit]
    config = {"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "linger.ms": 100}
    if batch_size is not None:
        config["batch.size"] = batch_size  # keep whole batches under the topic's max.message.bytes
    producer = Producer(config)
    errors = []
    for _ in range(50):
        producer.produce(topic, b"y" * 100, on_delivery=lambda err, msg: errors.append(err))
    producer.flush(10)
    # --8<-- [end:batch-limit]
    return errors


def main() -> dict:
    return {
        "producer_limit": over_producer_limit(),
        "topic_limit": over_topic_limit(),
        "topic_limit_idempotent": over_topic_limit(**{"enable.idempotence": True}),
        "batch_default": batch_over_topic_limit(None),
        "batch_fixed": batch_over_topic_limit(TOPIC_LIMIT - 500),
    }


if __name__ == "__main__":
    result = main()
    print("producer limit:", result["producer_limit"])
    print("topic limit:", result["topic_limit"])
    for name in ("batch_default", "batch_fixed"):
        failed = sum(1 for err in result[name] if err is not None)
        print(f"{name}: {failed} of {len(result[name])} failed")
