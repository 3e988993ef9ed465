"""The registry is down when the producer starts: the first produce() of a schema cannot get its id."""

import json
import os
import socket
import time
import uuid

from confluent_kafka import SerializingProducer
from confluent_kafka.error import ValueSerializationError
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import StringSerializer

import kafkalab
from kafkalab.lab import watermarks

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
SCHEMA_REGISTRY_URL = os.environ.get("KAFKA_SCHEMA_REGISTRY_URL", "http://localhost:9592/apis/ccompat/v7")
TOPIC = f"orders-outage-{uuid.uuid4().hex[:8]}"

ORDER_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "OrderPlaced",
        "namespace": "shop.orders",
        "fields": [{"name": "order_id", "type": "string"}, {"name": "quantity", "type": "int"}],
    }
)


# --8<-- [start:timeouts]
REGISTRY_TIMEOUTS = {"timeout": 2, "max.retries": 1, "retries.wait.ms": 500}  # seconds, count, ms
# --8<-- [end:timeouts]


def make_producer(registry_url: str, registry_conf: dict | None = None) -> SerializingProducer:
    # --8<-- [start:producer]
    registry = SchemaRegistryClient({"url": registry_url, **(registry_conf or {})})
    producer = SerializingProducer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "key.serializer": StringSerializer(),
            "value.serializer": AvroSerializer(registry, ORDER_SCHEMA),
        }
    )
    # --8<-- [end:producer]
    return producer


def first_produce(producer: SerializingProducer, topic: str, order: dict) -> tuple[Exception | None, float]:
    """produce() one record: (the exception it raised or None, the seconds it took)."""
    start = time.monotonic()
    # --8<-- [start:first-produce]
    try:
        producer.produce(topic, key=order["order_id"], value=order)
    except ValueSerializationError as exc:
        # the schema id could not be had: nothing was handed to the producer
        print("not sent:", exc)
        # --8<-- [end:first-produce]
        return exc, time.monotonic() - start
    return None, time.monotonic() - start


def unreachable_registry_url() -> str:
    """A registry URL where nothing listens (a port the kernel just gave out and took back)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/apis/ccompat/v7"


def main() -> None:
    kafkalab.create_topic(BOOTSTRAP_SERVERS, TOPIC)
    producer = make_producer(unreachable_registry_url())
    error, took = first_produce(producer, TOPIC, {"order_id": "o-1", "quantity": 1})
    print(f"produce() raised {type(error).__name__} after {took:.1f} s")
    assert producer.flush(10) == 0
    print("records in the topic:", watermarks(BOOTSTRAP_SERVERS, TOPIC)[1])


if __name__ == "__main__":
    main()
