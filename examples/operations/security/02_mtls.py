"""Mutual TLS: the broker also checks the client's certificate. Needs `kafkalab up --mtls` (its state
dir holds tls/client.pem and tls/client.key, signed by the lab CA)."""

import os

from aiokafka import AIOKafkaProducer
from aiokafka.helpers import create_ssl_context
from confluent_kafka import Producer
from kafka import KafkaProducer
from one_each import write_one_each  # one_each.py, next to this file

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
CA_FILE = os.environ.get("KAFKA_CA_FILE", "ca.pem")
CERT_FILE = os.environ.get("KAFKA_CERT_FILE", "client.pem")
KEY_FILE = os.environ.get("KAFKA_KEY_FILE", "client.key")


def confluent_kafka_producer() -> Producer:
    # --8<-- [start:confluent_kafka]
    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            "security.protocol": "SSL",
            "ssl.ca.location": CA_FILE,
            "ssl.certificate.location": CERT_FILE,
            "ssl.key.location": KEY_FILE,
        }
    )
    # --8<-- [end:confluent_kafka]
    return producer


def kafka_python_producer() -> KafkaProducer:
    # --8<-- [start:kafka_python]
    producer = KafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        security_protocol="SSL",
        ssl_cafile=CA_FILE,
        ssl_certfile=CERT_FILE,
        ssl_keyfile=KEY_FILE,
    )
    # --8<-- [end:kafka_python]
    return producer


def aiokafka_producer() -> AIOKafkaProducer:
    # --8<-- [start:aiokafka]
    producer = AIOKafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        security_protocol="SSL",
        ssl_context=create_ssl_context(cafile=CA_FILE, certfile=CERT_FILE, keyfile=KEY_FILE),
    )
    # --8<-- [end:aiokafka]
    return producer


def main(topic: str) -> dict[str, int]:
    """One record from each client; the offset each was written at."""
    return write_one_each(topic, confluent_kafka_producer, kafka_python_producer, aiokafka_producer)


if __name__ == "__main__":
    print(main(os.environ.get("TOPIC", "secured")))
