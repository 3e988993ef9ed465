"""confluent-kafka: delivery callbacks run only inside poll() or flush(), on the thread that calls them."""

import os
import threading
import time
import uuid

from confluent_kafka import Producer

import kafkalab
from kafkalab.lab import read_partition

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")


def wait_until_in_log(topic: str, count: int, timeout: float = 15.0) -> int:
    """Watches the partition from another client until `count` records are written."""
    deadline = time.monotonic() + timeout
    while (written := len(read_partition(BOOTSTRAP_SERVERS, topic))) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return written


def callbacks_wait_for_poll(topic: str, count: int = 5) -> dict:
    # --8<-- [start:no-poll]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    ran_on = []

    def on_delivery(err, msg):
        ran_on.append(threading.current_thread().name)

    for i in range(count):
        producer.produce(topic, value=f"event-{i}".encode(), on_delivery=on_delivery)
    written = wait_until_in_log(topic, count)  # another client sees every record in the log...
    before = len(ran_on)  # ...yet no callback has run
    producer.flush(10)
    after = len(ran_on)  # flush() ran them all, on this thread
    # --8<-- [end:no-poll]
    return {"written": written, "before": before, "after": after, "threads": set(ran_on)}


def queue_fills_without_poll(topic: str) -> dict:
    # --8<-- [start:queue-full]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "queue.buffering.max.messages": 5})
    for i in range(5):
        producer.produce(topic, value=f"event-{i}".encode())  # no callback at all
    written = wait_until_in_log(topic, 5)
    try:
        producer.produce(topic, value=b"event-5")
        refused = False
    except BufferError:  # all 5 are written, but their reports still hold the slots
        refused = True
    served = producer.poll(1)  # serving the reports frees the queue
    queued = len(producer)  # records (and reports) still in the producer's queue
    producer.produce(topic, value=b"event-5")
    remaining = producer.flush(10)
    # --8<-- [end:queue-full]
    return {"written": written, "refused": refused, "served": served, "queued": queued, "remaining": remaining}


def flush_counts_what_is_left() -> dict:
    missing = f"no-such-topic-{uuid.uuid4().hex[:8]}"  # auto-creation is off: this topic never appears
    # --8<-- [start:flush-count]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "message.timeout.ms": 3000})
    errors = []
    producer.produce(missing, value=b"nowhere to go", on_delivery=lambda err, msg: errors.append(err))
    still_queued = producer.flush(1)  # 1: flush() gave up after 1 s; it does not raise
    after_timeout = producer.flush(10)  # 0: the message expired and its callback got the error
    # --8<-- [end:flush-count]
    return {"topic": missing, "still_queued": still_queued, "after_timeout": after_timeout, "errors": errors}


def forget_to_flush(topic: str, count: int = 100) -> None:
    # --8<-- [start:no-flush]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    for i in range(count):
        producer.produce(topic, value=f"event-{i}".encode())
    # returning without flush(): the producer is destroyed with its queue
    # --8<-- [end:no-flush]


def main(topic: str | None = None) -> dict:
    topic = topic or kafkalab.new_topic(BOOTSTRAP_SERVERS, "sync-vs-async")
    return callbacks_wait_for_poll(topic)


if __name__ == "__main__":
    print(main())
