"""librdkafka's statistics: a JSON document every `statistics.interval.ms`, handed to `stats_cb`, and the
handful of its numbers an operator graphs."""

import json
import os
import time

from confluent_kafka import Producer

import kafkalab

BOOTSTRAP_SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
SECURITY = kafkalab.client_settings("confluent-kafka")
TOPIC = "monitoring-statistics"
RECORDS = 200


# --8<-- [start:numbers]
def operator_numbers(stats: dict) -> dict:
    brokers = [b for b in stats["brokers"].values() if b["nodeid"] >= 0]  # leave out the bootstrap entries
    return {
        "queued_records": stats["msg_cnt"],  # produced, not yet delivered or failed
        "queued_bytes": stats["msg_size"],
        "queue_full_at": stats["msg_max"],  # queue.buffering.max.messages
        "in_flight": sum(b["waitresp_cnt"] for b in brokers),  # requests sent, response awaited
        "waiting_to_send": sum(b["outbuf_cnt"] for b in brokers),
        "retries": sum(b["txretries"] for b in brokers),  # a counter: graph its rate
        "brokers_up": sum(b["state"] == "UP" for b in brokers),
        "rtt_p99_ms": max((b["rtt"]["p99"] / 1000 for b in brokers), default=0),
    }


# --8<-- [end:numbers]


def main(topic: str = TOPIC) -> tuple[list[dict], list]:
    # --8<-- [start:producer]
    reports = []  # the latest statistics go here; a real service exports them
    errors = []
    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP_SERVERS,
            **SECURITY,
            "statistics.interval.ms": 1000,  # off (0) by default
            "stats_cb": lambda stats_json: reports.append(json.loads(stats_json)),
            "error_cb": lambda err: errors.append(err),
        }
    )
    # --8<-- [end:producer]
    for i in range(RECORDS):
        producer.produce(topic, f"order-{i}".encode())
        producer.poll(0)
    producer.flush(30)
    seen = len(reports)
    deadline = time.monotonic() + 10
    while len(reports) <= seen and time.monotonic() < deadline:  # one report after the flush
        producer.poll(0.2)
    print(operator_numbers(reports[-1]))
    return reports, errors


if __name__ == "__main__":
    main()
