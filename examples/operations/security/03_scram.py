"""SCRAM-SHA-512 over TLS: a user name and password, checked without the password crossing the wire,
inside a TLS connection. Needs `kafkalab up --sasl scram` (users in kafkalab.SASL_USERS)."""

import os

from aiokafka import AIOKafkaProducer
from aiokafka.helpers import create_ssl_context
from confluent_kafka import Producer
from kafka import KafkaProducer
from one_each import write_one_each  # one_each.py, next to this file

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
CA_FILE = os.environ.get("KAFKA_CA_FILE", "ca.pem")
USERNAME = os.environ.get("KAFKA_USERNAME", "admin")
PASSWORD = os.environ.get("KAFKA_PASSWORD", "admin-secret")


def confluent_kafka_producer() -> Producer:
    # --8<-- [start:confluent_kafka]
    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            "security.protocol": "SASL_SSL",
            "ssl.ca.location": CA_FILE,
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": USERNAME,
            "sasl.password": PASSWORD,
        }
    )
    # --8<-- [end:confluent_kafka]
    return producer


def kafka_python_producer() -> KafkaProducer:
    # --8<-- [start:kafka_python]
    producer = KafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        security_protocol="SASL_SSL",
        ssl_cafile=CA_FILE,
        sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username=USERNAME,
        sasl_plain_password=PASSWORD,
    )
    # --8<-- [end:kafka_python]
    return producer


def aiokafka_producer() -> AIOKafkaProducer:
    # --8<-- [start:aiokafka]
    producer = AIOKafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        security_protocol="SASL_SSL",
        ssl_context=create_ssl_context(cafile=CA_FILE),
        sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username=USERNAME,
        sasl_plain_password=PASSWORD,
    )
    # --8<-- [end:aiokafka]
    return producer


def main(topic: str) -> dict[str, int]:
    """One record from each client; the offset each was written at."""
    return write_one_each(topic, confluent_kafka_producer, kafka_python_producer, aiokafka_producer)


if __name__ == "__main__":
    print(main(os.environ.get("TOPIC", "secured")))
