"""`error_cb`: errors about the client as a whole, that no delivery report carries. With no broker to
reach, they come at once; the delivery report comes only when `delivery.timeout.ms` has run out."""

import logging
import os
import socket
import time

from confluent_kafka import KafkaError, Producer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
DELIVERY_TIMEOUT_MS = 4000  # short for the example; the default is 300000


def free_port() -> int:
    """A local port nothing listens on: what a producer sees when every broker is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --8<-- [start:error_cb]
def on_error(err) -> None:
    if err.fatal():
        print(f"FATAL, recreate the producer: {err}")  # a page for someone
    elif err.code() == KafkaError._ALL_BROKERS_DOWN:
        print(f"no broker reachable: {err}")  # alert: records are queuing
    else:
        print(f"{err.name()}: {err.str()}")  # _TRANSPORT, _RESOLVE...: count them, log them


# --8<-- [end:error_cb]


def watch(bootstrap_servers: str) -> dict:
    """Produce one record to brokers that are not there; every error_cb and the delivery report, timed."""
    started, errors, reports = time.monotonic(), [], []

    def on_error_timed(err) -> None:
        on_error(err)
        errors.append((time.monotonic() - started, err))

    producer = Producer(
        {
            "bootstrap.servers": bootstrap_servers,
            **SECURITY,
            "error_cb": on_error_timed,
            "delivery.timeout.ms": DELIVERY_TIMEOUT_MS,
            "logger": _quiet(),
        }
    )
    producer.produce("monitoring-errors", b"order-1", on_delivery=lambda err, msg: reports.append(
        (time.monotonic() - started, err)
    ))  # fmt: skip
    producer.flush(DELIVERY_TIMEOUT_MS / 1000 + 10)
    return {"errors": errors, "reports": reports}


def _quiet() -> logging.Logger:
    """librdkafka's log lines go to a logger of their own, not to stderr."""
    logger = logging.Logger("librdkafka", logging.CRITICAL)
    logger.propagate = False
    return logger


def main() -> tuple[dict, dict]:
    refused = watch(f"127.0.0.1:{free_port()}")  # every broker down: connection refused
    unresolvable = watch("broker.invalid:9092")  # a name no DNS resolves (.invalid is reserved)
    return refused, unresolvable


if __name__ == "__main__":
    main()
