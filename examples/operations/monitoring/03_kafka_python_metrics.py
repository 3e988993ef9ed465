"""kafka-python's `metrics()`: the producer's own measurements, read whenever you like."""

import os

from kafka import KafkaProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")
TOPIC = "monitoring-metrics"
RECORDS = 200

# --8<-- [start:names]
WATCHED = (
    "record-queue-time-avg",  # ms a record waited in the producer before it was sent
    "record-queue-time-max",
    "request-latency-avg",  # ms from a request sent to its response
    "requests-in-flight",
    "record-error-rate",  # records failed per second: alert when above 0
    "record-retry-rate",
    "record-send-rate",
)


def watched_metrics(producer: KafkaProducer) -> dict[str, float]:
    return {name: producer.metrics()["producer-metrics"][name] for name in WATCHED}


# --8<-- [end:names]


def main(topic: str = TOPIC) -> tuple[dict[str, float], dict]:
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)
    try:
        futures = [producer.send(topic, f"order-{i}".encode()) for i in range(RECORDS)]
        producer.flush(timeout=30)
        offsets = [f.get(timeout=10).offset for f in futures]
        numbers, everything = watched_metrics(producer), producer.metrics()
    finally:
        producer.close(timeout=10)
    print(numbers)
    return numbers, {"groups": everything, "offsets": offsets}


if __name__ == "__main__":
    main()
