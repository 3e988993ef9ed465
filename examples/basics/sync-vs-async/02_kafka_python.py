"""kafka-python: a background sender thread completes futures and runs their callbacks on its own."""

import os
import threading

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")


def callback_without_any_call(topic: str) -> dict:
    # --8<-- [start:no-call]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)
    fired = threading.Event()
    ran_on = []

    def on_success(metadata):
        ran_on.append(threading.current_thread().name)
        fired.set()

    producer.send(topic, value=b"event").add_callback(on_success)
    arrived = fired.wait(timeout=10)  # no flush(), no poll(): the sender thread ran it
    producer.close(timeout=10)
    # --8<-- [end:no-call]
    return {"arrived": arrived, "threads": ran_on, "caller": threading.current_thread().name}


def flush_times_out(topic: str) -> dict:
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)
    # --8<-- [start:flush-timeout]
    future = producer.send(topic, value=b"event")
    try:
        producer.flush(timeout=0)  # no time at all: the broker cannot have answered
        timed_out = False
    except KafkaTimeoutError:
        timed_out = True
    metadata = future.get(timeout=10)  # the record was not cancelled: it still arrives
    # --8<-- [end:flush-timeout]
    producer.close(timeout=10)
    return {"timed_out": timed_out, "offset": metadata.offset}


def close_flushes(topic: str, count: int = 100) -> None:
    # --8<-- [start:close]
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY)
    for i in range(count):
        producer.send(topic, value=f"event-{i}".encode())
    producer.close(timeout=10)  # flushes first, then stops the sender thread
    # --8<-- [end:close]


def main(topic: str | None = None) -> dict:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "sync-vs-async")
    return callback_without_any_call(topic)


if __name__ == "__main__":
    print(main())
