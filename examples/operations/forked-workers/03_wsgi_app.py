"""A plain WSGI service that turns each POST /events into one record, with one producer per process.

Run by gunicorn with gunicorn_conf.py: `gunicorn -c gunicorn_conf.py 03_wsgi_app:app` (what `main()` does)."""

import json
import os
import sys
import threading
from pathlib import Path

from confluent_kafka import Producer
from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
TOPIC = os.environ.get("EVENTS_TOPIC", "events")
CLIENT = os.environ.get("EVENTS_CLIENT", "confluent-kafka")
SECURITY = kafkalab.client_settings(CLIENT)
MAX_BLOCK_MS = 5_000  # kafka-python: how long send() may hold a request (metadata, a full buffer); 60 s by default
HERE = Path(__file__).resolve().parent


def new_producer():
    if CLIENT == "confluent-kafka":
        return Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "acks": "all", "enable.idempotence": True})
    return KafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY, acks="all", enable_idempotence=True, max_block_ms=MAX_BLOCK_MS
    )


def not_delivered(key: bytes, error: object) -> None:
    print(f"worker {os.getpid()}: record {key.decode()} not delivered: {error}", flush=True)


class EventsApp:
    def __init__(self) -> None:
        self._producer = None
        self._made_in = None
        self._lock = threading.Lock()  # gunicorn --threads: one producer per process, not per thread

    # --8<-- [start:per-process]
    def producer(self):
        """This process's producer: created on first use in each process, so never inherited through a fork."""
        with self._lock:
            if self._made_in != os.getpid():
                self._producer, self._made_in = new_producer(), os.getpid()
            return self._producer

    # --8<-- [end:per-process]

    # --8<-- [start:close]
    def close(self, timeout: float) -> None:
        """Deliver what is queued, for at most `timeout` seconds, and say what could not be."""
        if self._made_in != os.getpid():
            return  # this process never produced
        if CLIENT == "confluent-kafka":
            left = self._producer.flush(timeout)
        else:
            try:
                self._producer.close(timeout)  # flushes first
                left = 0
            except Exception as e:  # KafkaTimeoutError
                left = f"some ({type(e).__name__})"
        print(f"worker {os.getpid()}: producer closed, {left} records not delivered", flush=True)

    # --8<-- [end:close]

    @staticmethod
    def on_delivery(err, msg) -> None:
        if err is not None:
            not_delivered(msg.key(), err)

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/health":
            return respond(start_response, "200 OK", {"pid": os.getpid()})
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        request_id = json.loads(body)["request_id"]
        producer = self.producer()
        value = json.dumps({"request_id": request_id, "pid": os.getpid()}).encode()
        try:
            if CLIENT == "confluent-kafka":
                # --8<-- [start:produce-confluent-kafka]
                producer.produce(TOPIC, value, key=request_id.encode(), on_delivery=self.on_delivery)
                producer.poll(0)  # serves the delivery reports that are ready
                # --8<-- [end:produce-confluent-kafka]
            else:
                # --8<-- [start:produce-kafka-python]
                sent = producer.send(TOPIC, value, key=request_id.encode())
                sent.add_errback(not_delivered, request_id.encode())  # calls not_delivered(key, error)
                # --8<-- [end:produce-kafka-python]
        except (BufferError, KafkaTimeoutError) as e:  # the producer's queue is full, or Kafka is unreachable
            return respond(start_response, "503 Service Unavailable", {"pid": os.getpid(), "error": type(e).__name__})
        return respond(start_response, "202 Accepted", {"pid": os.getpid(), "producer_made_in": self._made_in})


def respond(start_response, status: str, body: dict) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


app = EventsApp()


def main() -> None:
    """Serve the app as the test does: gunicorn with gunicorn_conf.py (three workers, the hooks)."""
    gunicorn = [sys.executable, "-m", "gunicorn", "--chdir", str(HERE), "-c", str(HERE / "gunicorn_conf.py")]
    os.execv(sys.executable, [*gunicorn, f"{Path(__file__).stem}:app"])


if __name__ == "__main__":
    main()
