"""OAUTHBEARER over TLS, LAB ONLY: `kafkalab up --sasl oauthbearer` runs Kafka's unsecured-JWT validator,
which accepts unsigned tokens. A real cluster validates signed tokens from an identity provider: there
the token provider fetches one from its token endpoint instead of making one up."""

import os

from aiokafka import AIOKafkaProducer
from aiokafka.abc import AbstractTokenProvider as AioTokenProvider
from aiokafka.helpers import create_ssl_context
from confluent_kafka import Producer
from kafka import KafkaProducer
from kafka.net.sasl.oauth import AbstractTokenProvider
from one_each import write_one_each  # one_each.py, next to this file

from kafkalab.connection import unsecured_jwt

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
CA_FILE = os.environ.get("KAFKA_CA_FILE", "ca.pem")
PRINCIPAL = os.environ.get("KAFKA_PRINCIPAL", "admin")


# --8<-- [start:providers]
class LabTokens(AbstractTokenProvider):  # kafka-python calls token() at each login
    def token(self) -> str:
        return unsecured_jwt(PRINCIPAL)


class AsyncLabTokens(AioTokenProvider):  # aiokafka awaits it
    async def token(self) -> str:
        return unsecured_jwt(PRINCIPAL)


# --8<-- [end:providers]


def confluent_kafka_producer() -> Producer:
    # --8<-- [start:confluent_kafka]
    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            "security.protocol": "SASL_SSL",
            "ssl.ca.location": CA_FILE,
            "sasl.mechanism": "OAUTHBEARER",
            "enable.sasl.oauthbearer.unsecure.jwt": True,
            "sasl.oauthbearer.config": f"principal={PRINCIPAL}",
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
        sasl_mechanism="OAUTHBEARER",
        sasl_oauth_token_provider=LabTokens(),
    )
    # --8<-- [end:kafka_python]
    return producer


def aiokafka_producer() -> AIOKafkaProducer:
    # --8<-- [start:aiokafka]
    producer = AIOKafkaProducer(
        bootstrap_servers=BOOTSTRAP_SERVERS,
        security_protocol="SASL_SSL",
        ssl_context=create_ssl_context(cafile=CA_FILE),
        sasl_mechanism="OAUTHBEARER",
        sasl_oauth_token_provider=AsyncLabTokens(),
    )
    # --8<-- [end:aiokafka]
    return producer


def main(topic: str) -> dict[str, int]:
    """One record from each client; the offset each was written at."""
    return write_one_each(topic, confluent_kafka_producer, kafka_python_producer, aiokafka_producer)


if __name__ == "__main__":
    print(main(os.environ.get("TOPIC", "secured")))
