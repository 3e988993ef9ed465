"""A producer process with no signal handler: it queues records, then waits for more work until a signal ends it.

Run as a child process by the tests (settings from the environment); it prints one JSON line per step.
"""

import json
import os
import time

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")
CLIENT = os.environ.get("SHUTDOWN_CLIENT", "confluent-kafka")
TOPIC = os.environ.get("SHUTDOWN_TOPIC", "shutdown-without-handler")
RECORDS = int(os.environ.get("SHUTDOWN_RECORDS", "100"))
LINGER_MS = 60_000  # nothing leaves on the linger timer while the test waits: every record is still queued


def report(what: str, **details) -> None:
    print(json.dumps({"at": time.time(), "what": what, **details}), flush=True)


def make_producer():
    if CLIENT == "confluent-kafka":
        from confluent_kafka import Producer

        config = {"bootstrap.servers": BOOTSTRAP_SERVERS, **CONFLUENT_SECURITY, "linger.ms": LINGER_MS}
        return Producer(config), "produce"
    from kafka import KafkaProducer

    return KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **KAFKA_PYTHON_SECURITY, linger_ms=LINGER_MS), "send"


# --8<-- [start:worker]
def main() -> None:
    producer, send = make_producer()
    for i in range(RECORDS):
        getattr(producer, send)(TOPIC, f"record-{i}".encode())
    report("queued", records=RECORDS)
    time.sleep(60)  # waiting for more work when the signal arrives
    report("slept to the end")


# --8<-- [end:worker]


if __name__ == "__main__":
    main()
