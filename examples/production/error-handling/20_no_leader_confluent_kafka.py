"""A retriable error that runs out of time: the partition has no leader for longer than the delivery
timeout. The producer retries on its own, then reports the record as failed in the delivery callback."""

import os

from confluent_kafka import KafkaError, Producer

from kafkalab import Cluster, client_settings, new_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("confluent-kafka")
DELIVERY_TIMEOUT_MS = 5000  # short for the lab; production keeps minutes


# --8<-- [start:classify]
# A delivery report comes after librdkafka's own retries, and its final error is not flagged
# retriable() even when the cause was transient: recognise running out of time by its code.
OUT_OF_TIME = {KafkaError._MSG_TIMED_OUT, KafkaError.REQUEST_TIMED_OUT, KafkaError.NOT_ENOUGH_REPLICAS}


def classify(err: KafkaError) -> str:
    if err.code() in OUT_OF_TIME:
        return "retriable, but out of time: park it and retry later"
    if err.code() == KafkaError._FATAL:  # err.fatal() is False in a delivery report too
        return "fatal: this producer instance is unusable, create a new one"
    return "permanent: fix the record or the configuration"


# --8<-- [end:classify]


def produce_while_leaderless(topic: str) -> list[KafkaError | None]:
    # --8<-- [start:produce]
    results = []
    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "acks": "all",
            "delivery.timeout.ms": DELIVERY_TIMEOUT_MS,  # alias of message.timeout.ms
        }
    )
    producer.produce(topic, b"order-1", on_delivery=lambda err, msg: results.append(err))
    producer.flush(DELIVERY_TIMEOUT_MS / 1000 + 10)
    # --8<-- [end:produce]
    return results


def main(cluster: Cluster | None = None) -> tuple[KafkaError | None, str]:
    """Take the only replica of a fresh topic away, produce, then bring the broker back."""
    cluster = cluster or Cluster.attach()
    topic = new_topic(BOOTSTRAP_SERVERS, "no-leader", replication_factor=1)
    leader = cluster.leader(topic)
    cluster.kill(leader)
    try:
        (err,) = produce_while_leaderless(topic)
    finally:
        cluster.start(leader)
        cluster.wait_healthy()
    verdict = classify(err) if err else "delivered"
    print(f"{err.name() if err else 'ok'}: {verdict}")
    return err, verdict


if __name__ == "__main__":
    main()
