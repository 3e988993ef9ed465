"""One kafka-python producer shared by N threads, or one producer per thread; who runs the callbacks."""

import os
import threading

from kafka import KafkaProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("kafka-python")
TOPIC = "threads-kafka-python"
THREADS = 4
RECORDS_PER_THREAD = 500


def make_producer(client_id: str = "threads-example") -> KafkaProducer:
    return KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **SECURITY, acks="all", client_id=client_id)


# --8<-- [start:shared]
def send_from_threads(producer: KafkaProducer, topic: str, threads: int, per_thread: int, first: int = 0) -> list[dict]:
    reports: list[dict] = []
    lock = threading.Lock()

    def report(value: str, sender: str, metadata=None, error=None) -> None:
        with lock:
            reports.append(
                {"value": value, "error": error, "sender": sender,
                 "partition": getattr(metadata, "partition", None), "offset": getattr(metadata, "offset", None),
                 "callback_thread": threading.current_thread().name}
            )  # fmt: skip

    def worker(n: int) -> None:
        name = threading.current_thread().name
        for seq in range(per_thread):
            value = f"thread-{n}:{seq}"
            future = producer.send(topic, key=f"thread-{n}".encode(), value=value.encode())
            future.add_callback(lambda md, v=value: report(v, name, metadata=md))
            future.add_errback(lambda e, v=value: report(v, name, error=e))

    workers = [threading.Thread(target=worker, args=(n,), name=f"sender-{n}") for n in range(first, first + threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    producer.flush(timeout=30)
    return reports


# --8<-- [end:shared]


# --8<-- [start:per-thread]
def one_producer_per_thread(topic: str, threads: int, per_thread: int) -> list[dict]:
    reports: list[dict] = []

    def owner(n: int) -> None:
        producer = make_producer(f"threads-example-{n}")
        try:
            reports.extend(send_from_threads(producer, topic, 1, per_thread, first=n))
        finally:
            producer.close(timeout=10)

    owners = [threading.Thread(target=owner, args=(n,), name=f"owner-{n}") for n in range(threads)]
    for o in owners:
        o.start()
    for o in owners:
        o.join(timeout=60)
    return reports


# --8<-- [end:per-thread]


def main() -> None:
    producer = make_producer()
    try:
        shared = send_from_threads(producer, TOPIC, THREADS, RECORDS_PER_THREAD)
    finally:
        producer.close(timeout=10)
    print(f"shared: {len(shared)} reports, callbacks ran in {sorted({r['callback_thread'] for r in shared})}")


if __name__ == "__main__":
    main()
