"""The three tuning profiles as librdkafka configuration, each producing a few thousand records."""

import json
import os

from confluent_kafka import Producer

from kafkalab import client_settings, new_topic
from kafkalab.lab import read_topic, wait_until

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("confluent-kafka")
RECORDS = 3000

PROFILES = {
    # --8<-- [start:high-throughput]
    "high-throughput": {
        "linger.ms": 20,
        "compression.type": "lz4",
        "acks": "all",
        "enable.idempotence": True,
    },
    # --8<-- [end:high-throughput]
    # --8<-- [start:low-latency]
    "low-latency": {
        "linger.ms": 0,
        "compression.type": "none",
        "acks": 1,
        "enable.idempotence": False,
    },
    # --8<-- [end:low-latency]
    # --8<-- [start:max-reliability]
    "max-reliability": {
        "acks": "all",
        "enable.idempotence": True,
        "retries": 2147483647,
        "delivery.timeout.ms": 300000,
        "max.in.flight.requests.per.connection": 5,
        "linger.ms": 5,
        "compression.type": "lz4",
    },
    # --8<-- [end:max-reliability]
}

# --8<-- [start:topic]
RELIABLE_TOPIC_CONFIG = {"min.insync.replicas": "2", "unclean.leader.election.enable": "false"}  # with RF 3
# --8<-- [end:topic]


def buffer_memory_is_rejected() -> Exception | None:
    try:
        Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "buffer.memory": 67108864})
    except Exception as exc:  # KafkaException: No such configuration property: "buffer.memory"
        return exc
    return None


def batch_sizes(topic: str, records: int, **config) -> dict:
    """How librdkafka batched `records` 100-byte records: batches and the largest, from its statistics
    (each statistics window counts the batches built since the previous one)."""
    windows = []
    producer = Producer(
        {"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "linger.ms": 50, "statistics.interval.ms": 100, **config},
        stats_cb=lambda raw: windows.append(json.loads(raw)["topics"].get(topic, {}).get("batchsize")),
    )
    for i in range(records):
        producer.produce(topic, b"%0100d" % i)
    remaining = producer.flush(30)
    seen = len(windows)
    wait_until(lambda: producer.poll(0.1) >= 0 and len(windows) > seen, 10, "a statistics window after the flush")
    sizes = [w for w in windows if w and w["cnt"]]
    return {"remaining": remaining, "batches": sum(w["cnt"] for w in sizes), "largest": max(w["max"] for w in sizes)}


def count_records(topic: str, expected: int) -> int:
    # acks=1 answers before the followers have the records: a consumer sees them a moment later
    return wait_until(lambda: (n := len(read_topic(BOOTSTRAP_SERVERS, topic))) >= expected and n, 30, "all records")


def main(profile: str = "max-reliability", records: int = RECORDS) -> dict:
    topic = new_topic(
        BOOTSTRAP_SERVERS, f"tuning-{profile}", partitions=3, replication_factor=3, config=RELIABLE_TOPIC_CONFIG
    )
    # --8<-- [start:produce]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, **PROFILES[profile]})
    errors = []
    delivered = 0

    def on_delivery(err, msg):
        nonlocal delivered
        if err is None:
            delivered += 1
        else:
            errors.append(err)

    for i in range(records):
        while True:
            try:
                producer.produce(topic, b"event-%d" % i, b"key-%d" % (i % 100), on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(60)
    # --8<-- [end:produce]
    return {
        "delivered": delivered,
        "errors": errors,
        "remaining": remaining,
        "read_back": count_records(topic, records),
    }


if __name__ == "__main__":
    for name in PROFILES:
        result = main(name)
        print(
            f"{name}: {result['delivered']} delivered, {len(result['errors'])} errors, {result['read_back']} read back"
        )
