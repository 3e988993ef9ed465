"""A dead-letter topic fed from the delivery callback: a record the broker rejects is produced again to
the DLT, unchanged, with the error and its origin in headers."""

import os
import threading

from confluent_kafka import Producer

from kafkalab import client_settings, new_topic
from kafkalab.lab import read_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("confluent-kafka")
TOPIC_LIMIT = 2000  # the main topic's max.message.bytes


# --8<-- [start:dead-letter]
class DeadLetterRouter:
    def __init__(self, producer: Producer, dead_letter_topic: str):
        self.producer = producer
        self.dead_letter_topic = dead_letter_topic
        self.delivered = []
        self.dead_lettered = []
        self.lost = []  # neither the topic nor the DLT took it: alert, write to disk

    def produce(self, topic: str, value: bytes, key: bytes, headers: list) -> None:
        # msg.headers() is None in a delivery report: keep the record's headers in the callback
        self.producer.produce(
            topic, value, key, headers=headers, on_delivery=lambda err, msg: self.on_delivery(err, msg, headers)
        )
        self.producer.poll(0)  # serve the reports that have arrived: the callbacks below run here

    def on_delivery(self, err, msg, headers: list) -> None:
        if err is None:
            self.delivered.append(msg.value())
            return
        dead_letter_headers = [
            *headers,
            ("dlt.error.code", str(err.code()).encode()),
            ("dlt.error.name", err.name().encode()),
            ("dlt.original.topic", msg.topic().encode()),
        ]
        self.producer.produce(  # allowed here: callbacks run inside poll()/flush() on this thread
            self.dead_letter_topic, msg.value(), msg.key(), headers=dead_letter_headers, on_delivery=self.on_dead_letter
        )

    def on_dead_letter(self, err, msg) -> None:
        (self.lost if err else self.dead_lettered).append(msg.value())


# --8<-- [end:dead-letter]


def what_a_delivery_report_carries() -> dict:
    """A record sent with headers: what its delivery report's msg.headers() says, and which thread runs the callback."""
    topic = new_topic(BOOTSTRAP_SERVERS, "report-headers")
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY})
    seen = {}

    def on_delivery(err, msg):
        seen.update(err=err, headers=msg.headers(), thread=threading.get_ident())

    producer.produce(topic, b"v", headers=[("source", b"shop")], on_delivery=on_delivery)
    if producer.flush(30):
        raise TimeoutError("no delivery report after 30 s")
    producer.close()
    return {**seen, "caller_thread": threading.get_ident(), "stored_headers": read_back(topic)[0][2]}


def read_back(topic: str) -> list:
    return [(msg.key(), msg.value(), msg.headers() or []) for msg in read_topic(BOOTSTRAP_SERVERS, topic)]


def main() -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "orders", config={"max.message.bytes": str(TOPIC_LIMIT)})
    dead_letter_topic = new_topic(BOOTSTRAP_SERVERS, "orders-dlt")  # default limit: takes the rejects
    values = [b"small-order-%d" % i if i % 3 else b"huge-order-%d " % i + b"x" * 5000 for i in range(9)]
    # --8<-- [start:produce]
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "batch.size": TOPIC_LIMIT // 2})
    router = DeadLetterRouter(producer, dead_letter_topic)
    for i, value in enumerate(values):
        router.produce(topic, value, f"order-{i}".encode(), headers=[("source", b"shop")])
    if producer.flush(30):  # also waits for the dead letters queued by the callbacks
        raise TimeoutError("some records or dead letters have no delivery report after 30 s")
    producer.close()
    # --8<-- [end:produce]
    return {
        "values": values,
        "delivered": router.delivered,
        "dead_lettered": router.dead_lettered,
        "lost": router.lost,
        "topic": read_back(topic),
        "dead_letter_topic": read_back(dead_letter_topic),
    }


if __name__ == "__main__":
    result = main()
    counts = {name: len(result[name]) for name in ("delivered", "dead_lettered", "lost")}
    print(counts)
    for key, _value, headers in result["dead_letter_topic"]:
        print(key, dict(headers))
