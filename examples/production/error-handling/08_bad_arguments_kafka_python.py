"""What send() raises for arguments it cannot send: TypeError or ValueError, before anything is queued."""

import os

from kafka import KafkaProducer

from kafkalab import client_settings, new_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("kafka-python")


def main() -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "bad-arguments")
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS.split(","), **SECURITY)  # no serializers
    # --8<-- [start:cases]
    cases = {
        "int value": {"value": 42},
        "int key": {"key": 42, "value": b"ok"},
        "str value": {"value": "text is not encoded for you"},
        "headers as dict": {"value": b"ok", "headers": {"attempt": b"1"}},
        "int header value": {"value": b"ok", "headers": [("attempt", 1)]},
        "no key, no value": {},
    }
    outcomes = {}
    for name, kwargs in cases.items():
        try:
            producer.send(topic, **kwargs)
            outcomes[name] = "queued"
        except (TypeError, ValueError) as exc:
            outcomes[name] = exc
    # --8<-- [end:cases]
    producer.close(timeout=10)
    return outcomes


if __name__ == "__main__":
    for name, outcome in main().items():
        print(f"{name}: {outcome!r}")
