"""The three tuning profiles as kafka-python keyword arguments, each producing a few thousand records."""

import os

from kafka import KafkaProducer
from kafka.errors import KafkaError

from kafkalab import client_settings, new_topic
from kafkalab.lab import read_topic, wait_until

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("kafka-python")
RECORDS = 3000

PROFILES = {
    # --8<-- [start:high-throughput]
    "high-throughput": {
        "linger_ms": 20,
        "batch_size": 65536,
        "compression_type": "gzip",  # "lz4" needs the lz4 package, not installed here
        "acks": "all",
        "enable_idempotence": True,
    },
    # --8<-- [end:high-throughput]
    # --8<-- [start:low-latency]
    "low-latency": {
        "linger_ms": 0,
        "compression_type": None,
        "acks": 1,
        "enable_idempotence": False,  # acks=1 turns it off anyway; say so explicitly
    },
    # --8<-- [end:low-latency]
    # --8<-- [start:max-reliability]
    "max-reliability": {
        "acks": "all",
        "enable_idempotence": True,
        "retries": 2147483647,
        "delivery_timeout_ms": 300000,
        "max_in_flight_requests_per_connection": 5,
        "linger_ms": 5,
        "compression_type": "gzip",
    },
    # --8<-- [end:max-reliability]
}

RELIABLE_TOPIC_CONFIG = {"min.insync.replicas": "2", "unclean.leader.election.enable": "false"}  # with RF 3


def unsupported_settings() -> dict:
    """What kafka-python 3.0 says to the settings it does not have."""
    outcomes = {}
    for name, kwargs in {"buffer_memory": {"buffer_memory": 67108864}, "lz4": {"compression_type": "lz4"}}.items():
        try:
            KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","), **SECURITY, **kwargs).close(timeout=5)
            outcomes[name] = None
        except (ValueError, RuntimeError) as exc:
            outcomes[name] = exc
    return outcomes


def idempotence_with_acks_1() -> bool:
    """kafka-python's default is idempotent; acks=1 alone switches that off without an error."""
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","), **SECURITY, acks=1)
    idempotent = producer.config["enable_idempotence"]
    producer.close(timeout=5)
    return idempotent


def count_records(topic: str, expected: int) -> int:
    # acks=1 answers before the followers have the records: a consumer sees them a moment later
    return wait_until(lambda: (n := len(read_topic(BOOTSTRAP_SERVERS, topic))) >= expected and n, 30, "all records")


def main(profile: str = "max-reliability", records: int = RECORDS) -> dict:
    topic = new_topic(
        BOOTSTRAP_SERVERS, f"tuning-{profile}", partitions=3, replication_factor=3, config=RELIABLE_TOPIC_CONFIG
    )
    # --8<-- [start:produce]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","), **SECURITY, **PROFILES[profile])
    futures = [producer.send(topic, b"event-%d" % i, b"key-%d" % (i % 100)) for i in range(records)]
    producer.flush(timeout=60)
    delivered, errors = 0, []
    for future in futures:
        try:
            future.get(timeout=10)
            delivered += 1
        except KafkaError as exc:
            errors.append(exc)
    idempotent = producer.config["enable_idempotence"]
    producer.close(timeout=10)
    # --8<-- [end:produce]
    return {
        "delivered": delivered,
        "errors": errors,
        "idempotent": idempotent,
        "read_back": count_records(topic, records),
    }


if __name__ == "__main__":
    for name in PROFILES:
        result = main(name)
        print(
            f"{name}: {result['delivered']} delivered, {len(result['errors'])} errors, {result['read_back']} read back"
        )
