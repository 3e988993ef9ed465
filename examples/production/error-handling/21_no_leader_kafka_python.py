"""The same leaderless partition seen from kafka-python: the future fails once the delivery timeout ends."""

import os

from kafka import KafkaProducer
from kafka.errors import KafkaError

from kafkalab import Cluster, client_settings, new_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("kafka-python")
DELIVERY_TIMEOUT_MS = 5000


def produce_while_leaderless(topic: str) -> KafkaError | None:
    # --8<-- [start:produce]
    producer = KafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        **SECURITY,
        acks="all",
        request_timeout_ms=2000,
        delivery_timeout_ms=DELIVERY_TIMEOUT_MS,
    )
    future = producer.send(topic, b"order-1")
    try:
        future.get(timeout=DELIVERY_TIMEOUT_MS / 1000 + 10)
        error = None
    except KafkaError as exc:
        error = exc  # exc.retriable tells whether trying again later can help
    finally:
        producer.close(timeout=10)
    # --8<-- [end:produce]
    return error


def main(cluster: Cluster | None = None) -> KafkaError | None:
    cluster = cluster or Cluster.attach()
    topic = new_topic(BOOTSTRAP_SERVERS, "no-leader", replication_factor=1)
    leader = cluster.leader(topic)
    cluster.kill(leader)
    try:
        error = produce_while_leaderless(topic)
    finally:
        cluster.start(leader)
        cluster.wait_healthy()
    print(f"{type(error).__name__ if error else 'delivered'} (retriable={getattr(error, 'retriable', None)})")
    return error


if __name__ == "__main__":
    main()
