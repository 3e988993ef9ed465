"""The fix for multiprocessing: each worker creates its own producer in the Pool initializer, after the fork,
and every task flushes (bounded) before it reports its records as done."""

import json
import multiprocessing
import os
import sys
import threading
import time
import uuid

from confluent_kafka import Producer
from kafka import KafkaProducer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")
TOPIC = f"pool-{uuid.uuid4().hex[:8]}"
WORKERS = 3
TASKS = 6
RECORDS_PER_TASK = 20
FLUSH_TIMEOUT = 10.0

producer = None
client = None
made_in = None  # the pid of the process that created `producer`


# --8<-- [start:initializer]
def start_producer(client_name: str) -> None:
    """Runs once in each worker process, after the fork: the producer and its threads are this process's."""
    global producer, client, made_in
    client, made_in = client_name, os.getpid()
    if client == "confluent-kafka":
        producer = Producer({"bootstrap.servers": BOOTSTRAP_SERVERS, **CONFLUENT_SECURITY})
    else:
        producer = KafkaProducer(bootstrap_servers=BOOTSTRAP_SERVERS, **KAFKA_PYTHON_SECURITY)


# --8<-- [end:initializer]


# --8<-- [start:task]
def produce_batch(task: int) -> dict:
    values = [f"task {task} record {i}".encode() for i in range(RECORDS_PER_TASK)]
    if client == "confluent-kafka":
        failed = []
        for value in values:
            producer.produce(TOPIC, value, on_delivery=lambda err, msg: err and failed.append(err))
        if producer.flush(FLUSH_TIMEOUT) or failed:
            raise RuntimeError(f"task {task}: not every record was delivered")
    else:
        futures = [producer.send(TOPIC, value) for value in values]
        producer.flush(FLUSH_TIMEOUT)  # raises KafkaTimeoutError when time runs out
        for future in futures:
            future.get(timeout=0)  # raises the record's error, if it failed
    return {"task": task, "pid": os.getpid(), "producer_made_in": made_in, "delivered": len(values)}


# --8<-- [end:task]


def main(client_name: str = "confluent-kafka") -> list[dict]:
    """Tasks' results; the parent makes no producer (no client thread) before the Pool forks."""
    threads_at_fork = threading.active_count()
    # --8<-- [start:pool]
    context = multiprocessing.get_context("fork")
    with context.Pool(WORKERS, initializer=start_producer, initargs=(client_name,)) as pool:
        results = pool.map(produce_batch, range(TASKS), chunksize=1)
    # --8<-- [end:pool]
    return [r | {"threads_at_fork": threads_at_fork} for r in results]


if __name__ == "__main__":
    # python 02_pool_initializer.py [client] [topic]: one JSON line of results
    args = sys.argv[1:]
    TOPIC = args[1] if len(args) > 1 else TOPIC
    found = main(args[0] if args else "confluent-kafka")
    print(json.dumps({"at": time.time(), "what": "counts", "parent": os.getpid(), "results": found}), flush=True)
