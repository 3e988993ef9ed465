"""One confluent-kafka producer shared by N threads, or one producer per thread; who runs the callbacks."""

import os
import threading

from confluent_kafka import Producer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
TOPIC = "threads-confluent-kafka"
THREADS = 4
RECORDS_PER_THREAD = 500


# --8<-- [start:shared]
def send_from_threads(producer: Producer, topic: str, threads: int, per_thread: int, first: int = 0) -> list[dict]:
    reports: list[dict] = []
    lock = threading.Lock()

    def on_delivery(err, msg):
        with lock:
            reports.append(
                {"value": msg.value().decode(), "error": err, "partition": msg.partition(),
                 "offset": msg.offset(), "callback_thread": threading.current_thread().name}
            )  # fmt: skip

    def worker(n: int) -> None:
        for seq in range(per_thread):
            producer.produce(topic, key=f"thread-{n}", value=f"thread-{n}:{seq}", on_delivery=on_delivery)
            producer.poll(0)

    workers = [threading.Thread(target=worker, args=(n,), name=f"sender-{n}") for n in range(first, first + threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    producer.flush(timeout=30)
    return reports


# --8<-- [end:shared]


# --8<-- [start:per-thread]
def one_producer_per_thread(config: dict, topic: str, threads: int, per_thread: int) -> list[dict]:
    reports: list[dict] = []

    def owner(n: int) -> None:
        producer = Producer(config)
        reports.extend(send_from_threads(producer, topic, 1, per_thread, first=n))

    owners = [threading.Thread(target=owner, args=(n,), name=f"owner-{n}") for n in range(threads)]
    for o in owners:
        o.start()
    for o in owners:
        o.join(timeout=60)
    return reports


# --8<-- [end:per-thread]


def config() -> dict:
    return {"bootstrap.servers": BOOTSTRAP_SERVERS, **SECURITY, "acks": "all", "enable.idempotence": True}


def main() -> None:
    shared = send_from_threads(Producer(config()), TOPIC, THREADS, RECORDS_PER_THREAD)
    print(f"shared: {len(shared)} reports, callbacks ran in {sorted({r['callback_thread'] for r in shared})}")
    alone = one_producer_per_thread(config(), TOPIC, THREADS, RECORDS_PER_THREAD)
    print(f"per thread: {len(alone)} reports, callbacks ran in {sorted({r['callback_thread'] for r in alone})}")


if __name__ == "__main__":
    main()
