"""The mistake, in a web service: the producer is made when the module is imported. Under
`gunicorn --preload` the import happens once, in the master, and every worker inherits that producer."""

import json
import os
import sys
from pathlib import Path

from confluent_kafka import Producer
from kafka import KafkaProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
TOPIC = os.environ.get("EVENTS_TOPIC", "events")
CLIENT = os.environ.get("EVENTS_CLIENT", "confluent-kafka")
MAX_BLOCK_MS = int(os.environ.get("EVENTS_MAX_BLOCK_MS", "60000"))
SECURITY = kafkalab.client_settings(CLIENT)
MADE_IN = os.getpid()

# --8<-- [start:at-import]
if CLIENT == "confluent-kafka":
    producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "acks": "all", "enable.idempotence": True})
else:
    producer = KafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY, acks="all", enable_idempotence=True, max_block_ms=MAX_BLOCK_MS
    )
# --8<-- [end:at-import]


def app(environ, start_response):
    if environ["PATH_INFO"] == "/health":
        return respond(start_response, "200 OK", {"pid": os.getpid()})
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    request_id = json.loads(body)["request_id"]
    value = json.dumps({"request_id": request_id, "pid": os.getpid()}).encode()
    try:
        if CLIENT == "confluent-kafka":
            producer.produce(TOPIC, value, key=request_id.encode())
            producer.poll(0)
        else:
            producer.send(TOPIC, value, key=request_id.encode())
    except Exception as e:  # kafka-python: KafkaTimeoutError after max_block_ms
        return respond(start_response, "503 Service Unavailable", {"pid": os.getpid(), "error": type(e).__name__})
    return respond(start_response, "202 Accepted", {"pid": os.getpid(), "producer_made_in": MADE_IN})


def respond(start_response, status: str, body: dict) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def main() -> None:
    """Serve it the way that loses everything: gunicorn --preload, three workers (this process is replaced)."""
    here = Path(__file__).resolve().parent
    gunicorn = [sys.executable, "-m", "gunicorn", "--chdir", str(here), "--preload", "--workers", "3"]
    os.execv(sys.executable, [*gunicorn, "--no-control-socket", f"{Path(__file__).stem}:app"])


if __name__ == "__main__":
    main()
