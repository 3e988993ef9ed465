"""What produce() raises for arguments it cannot send: TypeError, before anything is queued."""

import os

from confluent_kafka import Producer

from kafkalab import client_settings, new_topic
from kafkalab.lab import read_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("confluent-kafka")


def main() -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "bad-arguments")
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    # --8<-- [start:cases]
    cases = {
        "int value": {"value": 42},
        "int key": {"key": 42, "value": b"ok"},
        "dict value": {"value": {"qty": 5}},
        "int header value": {"value": b"ok", "headers": {"attempt": 1}},
        "str value": {"value": "grüße, encoded as UTF-8"},
        "str key": {"key": "küche", "value": b"ok"},
        "no key, no value": {},
    }
    outcomes = {}
    for name, kwargs in cases.items():
        try:
            producer.produce(topic, **kwargs)
            outcomes[name] = "queued"
        except (TypeError, ValueError) as exc:
            outcomes[name] = exc
    # --8<-- [end:cases]
    remaining = producer.flush(10)
    stored = [(msg.key(), msg.value()) for msg in read_topic(BOOTSTRAP_SERVERS, topic)]
    return {"outcomes": outcomes, "remaining": remaining, "stored": stored}


if __name__ == "__main__":
    for name, outcome in main()["outcomes"].items():
        print(f"{name}: {outcome!r}")
