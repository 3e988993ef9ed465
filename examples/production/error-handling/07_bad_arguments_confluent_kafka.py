"""What produce() raises for arguments it cannot send: TypeError, before anything is queued."""

import os

from confluent_kafka import Producer

from kafkalab import new_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")


def main() -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "bad-arguments")
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS})
    # --8<-- [start:cases]
    cases = {
        "int value": {"value": 42},
        "int key": {"key": 42, "value": b"ok"},
        "dict value": {"value": {"qty": 5}},
        "int header value": {"value": b"ok", "headers": {"attempt": 1}},
        "str value": {"value": "text is encoded as UTF-8"},
    }
    outcomes = {}
    for name, kwargs in cases.items():
        try:
            producer.produce(topic, **kwargs)
            outcomes[name] = "queued"
        except (TypeError, ValueError) as exc:
            outcomes[name] = exc
    # --8<-- [end:cases]
    producer.flush(10)
    return outcomes


if __name__ == "__main__":
    for name, outcome in main().items():
        print(f"{name}: {outcome!r}")
