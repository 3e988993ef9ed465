"""Lab 5's child: a producer process that sends `early` records and flushes them, sends `late` records that
linger (linger.ms 60 s), then ends in the way it is told. It reports each step to the lab (kafkalab.child.say),
with how many records were acknowledged so far and how many atexit handlers the process has.

    python producer_exit.py CLIENT ENDING BOOTSTRAP TOPIC EARLY LATE
    CLIENT: confluent-kafka | kafka-python;  ENDING: return | flush | close | crash
"""

import atexit
import os
import sys

import kafkalab
from kafkalab.child import say

CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")

LINGER_MS = 60000  # the late records stay in the client's buffer until something sends them


def producer(client: str, bootstrap: str, topic: str, acked: list[bytes]):
    """The client's producer, and a send(value) that counts each acknowledged value in `acked`."""
    if client == "confluent-kafka":
        from confluent_kafka import Producer

        p = Producer({"bootstrap.servers": bootstrap, **CONFLUENT_SECURITY, "linger.ms": LINGER_MS})

        def on_delivery(err, msg):
            if err is None:
                acked.append(msg.value())

        return p, lambda value: p.produce(topic, value, on_delivery=on_delivery)
    from kafka import KafkaProducer

    p = KafkaProducer(bootstrap_servers=bootstrap, **KAFKA_PYTHON_SECURITY, linger_ms=LINGER_MS)
    return p, lambda value: p.send(topic, value).add_callback(lambda metadata: acked.append(value))


def main(client: str, ending: str, bootstrap: str, topic: str, early: int, late: int) -> None:
    acked: list[bytes] = []
    handlers_before = atexit._ncallbacks()
    p, send = producer(client, bootstrap, topic, acked)
    say("producer created", atexit_before=handlers_before, atexit_after=atexit._ncallbacks())
    for i in range(early):
        send(f"early-{i}".encode())
    p.flush(30)
    say("early acknowledged", acked=len(acked))
    for i in range(late):
        send(f"late-{i}".encode())
    say("late sent", acked=len(acked))
    if ending == "flush":
        p.flush(30)
        say("flushed", acked=len(acked))
    elif ending == "close":
        p.close(30)
        say("closed", acked=len(acked))
    if ending in ("flush", "close", "crash"):
        say("os._exit(0)", acked=len(acked))
        os._exit(0)  # no exit handler runs: what flush() or close() did not send is gone
    say("return from main", acked=len(acked))


if __name__ == "__main__":
    client, ending, bootstrap, topic, early, late = sys.argv[1:7]
    main(client, ending, bootstrap, topic, int(early), int(late))
