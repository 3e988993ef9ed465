"""A synchronous send for confluent-kafka that is often recommended, and why it does not work on its own.

It produces, calls poll(0) once, then waits on a threading.Event that only the delivery callback sets.
"""

import os
import threading

from confluent_kafka import Producer

import kafkalab
from kafkalab.lab import read_partition

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


# --8<-- [start:pitfall]
def send_and_wait_on_event(producer: Producer, topic: str, value: bytes, timeout: float = 10.0):
    done = threading.Event()
    outcome = []

    def on_delivery(err, msg):
        outcome.append((err, msg))
        done.set()

    producer.produce(topic, value=value, on_delivery=on_delivery)
    producer.poll(0)  # too early: the broker has not answered yet
    if not done.wait(timeout):  # nothing runs callbacks while we sleep here
        raise TimeoutError(f"no delivery report within {timeout} s")
    err, msg = outcome[0]
    if err is not None:
        raise Exception(f"delivery failed: {err}")
    return msg


# --8<-- [end:pitfall]


def main(topic: str | None = None, timeout: float = 3.0) -> dict:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "event-wait")
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    try:
        send_and_wait_on_event(producer, topic, b"waited-for", timeout)
        timed_out = False
    except TimeoutError:
        timed_out = True
    remaining = producer.flush(10)
    return {
        "timed_out": timed_out,
        "remaining": remaining,
        "records_in_topic": len(read_partition(BOOTSTRAP_SERVERS, topic)),
    }


if __name__ == "__main__":
    print(main())
