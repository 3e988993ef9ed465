"""The same denied write from kafka-python. Needs `kafkalab up --sasl`."""

import os

from kafka import KafkaProducer
from kafka.errors import TopicAuthorizationFailedError

from kafkalab import SASL_USERS, new_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")


def main(bootstrap_servers: str = BOOTSTRAP_SERVERS) -> TopicAuthorizationFailedError | None:
    admin_login = {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "PLAIN",
        "sasl.username": "admin",
        "sasl.password": SASL_USERS["admin"],
    }
    topic = new_topic(bootstrap_servers, "payments", client_config=admin_login)
    # --8<-- [start:denied]
    producer = KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_plain_username="bob",
        sasl_plain_password=SASL_USERS["bob"],
        acks="all",
    )
    try:
        producer.send(topic, b"payment-1").get(timeout=30)
        denied = None
    except TopicAuthorizationFailedError as exc:
        denied = exc  # not retriable: stop and alert
        print(f"denied: {exc} (retriable={exc.retriable})")
    finally:
        producer.close(timeout=10)
    # --8<-- [end:denied]
    return denied


if __name__ == "__main__":
    main()
