"""The fastest way this guide found to drive confluent-kafka from Python: one producer-level delivery
callback instead of one per record, and poll(0) once every 1,000 records instead of after each one."""

import os

from confluent_kafka import Producer

from kafkalab import client_settings, new_topic

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = client_settings("confluent-kafka")
POLL_EVERY = 1000


def send_all(topic: str, values: list[bytes]) -> dict:
    # --8<-- [start:loop]
    outcome = {"delivered": 0, "failed": []}

    def on_delivery(err, msg):
        if err is None:
            outcome["delivered"] += 1
        else:
            outcome["failed"].append((msg.value(), err))

    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "enable.idempotence": True,
            "linger.ms": 20,
            "on_delivery": on_delivery,  # one callback for every record
        }
    )
    for i, value in enumerate(values):
        while True:
            try:
                producer.produce(topic, value)
                break
            except BufferError:  # the queue is full: serve reports to make room
                producer.poll(0.05)
        if i % POLL_EVERY == 0:
            producer.poll(0)
    outcome["remaining"] = producer.flush(60)
    # --8<-- [end:loop]
    return outcome


def main(records: int = 50_000) -> dict:
    topic = new_topic(BOOTSTRAP_SERVERS, "fast-loop")
    values = [f"event-{i}".encode() for i in range(records)]
    return {"topic": topic, "values": values, **send_all(topic, values)}


if __name__ == "__main__":
    result = main()
    print(f"{result['delivered']} delivered, {len(result['failed'])} failed, {result['remaining']} still queued")
