"""A producer whose user may not write to the topic: a non-retriable authorization error.
Needs a cluster with logins and ACLs: `kafkalab up --sasl` (users in kafkalab.SASL_USERS)."""

import os

from confluent_kafka import KafkaError, Producer

from kafkalab import SASL_USERS, new_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")


def login(user: str) -> dict[str, str]:
    return {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "PLAIN",
        "sasl.username": user,
        "sasl.password": SASL_USERS[user],
    }


def main(bootstrap_servers: str = BOOTSTRAP_SERVERS) -> KafkaError | None:
    topic = new_topic(bootstrap_servers, "payments", client_config=login("admin"))
    # --8<-- [start:denied]
    errors = []
    producer = Producer({"bootstrap.servers": bootstrap_servers, **login("bob"), "acks": "all"})
    producer.produce(topic, b"payment-1", on_delivery=lambda err, msg: errors.append(err))
    producer.flush(30)
    (err,) = errors
    if err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
        print(f"denied: {err.str()} (retriable={err.retriable()})")  # stop and alert: retrying cannot help
    # --8<-- [end:denied]
    return err


if __name__ == "__main__":
    main()
