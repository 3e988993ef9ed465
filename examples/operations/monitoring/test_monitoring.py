"""The numbers the monitoring page shows, read from real runs: librdkafka's statistics JSON and
error_cb (confluent-kafka), and kafka-python's metrics()."""

import json
import time

import pytest
from confluent_kafka import KafkaError, Producer

from kafkalab import client_settings, new_topic

SECURITY = client_settings("confluent-kafka")


@pytest.fixture
def topic(kafka_bootstrap, kafka_three_brokers):  # replication factor 3
    return new_topic(kafka_bootstrap, "monitoring", replication_factor=3)


def test_statistics_hold_the_numbers_the_page_graphs(example, topic):
    module = example("01_statistics.py")
    reports, errors = module.main(topic)
    last = reports[-1]
    assert errors == [], "a healthy cluster: error_cb stays silent"
    assert {"msg_cnt", "msg_size", "msg_max", "msg_size_max", "txmsgs", "brokers", "topics"} <= last.keys()
    brokers = [b for b in last["brokers"].values() if b["nodeid"] >= 0]
    assert brokers and all(
        {"state", "outbuf_cnt", "waitresp_cnt", "txretries", "txerrs", "rtt", "int_latency"} <= b.keys()
        for b in brokers
    )
    assert {"avg", "p99", "max"} <= brokers[0]["rtt"].keys()
    partition = last["topics"][topic]["partitions"]["0"]
    assert {"msgq_cnt", "xmit_msgq_cnt", "txmsgs"} <= partition.keys()
    assert partition["txmsgs"] == module.RECORDS, "every record was sent to partition 0"
    assert last["topics"][topic]["batchcnt"]["cnt"] > 0, "batch counts per topic"
    numbers = module.operator_numbers(last)
    assert numbers["queued_records"] == 0 and numbers["queued_bytes"] == 0, "flushed: nothing queued"
    assert numbers["queue_full_at"] == 100000, "queue.buffering.max.messages, librdkafka's default"
    assert numbers["in_flight"] == 0 and numbers["retries"] == 0
    assert numbers["brokers_up"] >= 1 and numbers["rtt_p99_ms"] > 0


def test_statistics_show_records_queued_before_they_are_sent(example, topic):
    module = example("01_statistics.py")
    # linger.ms makes the records wait in the queue, where the statistics count them
    reports = []
    producer = Producer(
        {
            "bootstrap.servers": module.BOOTSTRAP_SERVERS,
            **SECURITY,
            "linger.ms": 5000,
            "statistics.interval.ms": 200,
            "stats_cb": lambda s: reports.append(json.loads(s)),
        }
    )
    for i in range(50):
        producer.produce(topic, f"order-{i}".encode())
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not any(r["msg_cnt"] == 50 for r in reports):
        producer.poll(0.1)
    queued = [module.operator_numbers(r)["queued_records"] for r in reports]
    assert 50 in queued, queued
    assert producer.flush(30) == 0


def test_error_cb_tells_of_brokers_that_are_down_long_before_the_delivery_report(example):
    module = example("02_error_cb.py")
    refused, unresolvable = module.main()
    codes = [err.code() for _, err in refused["errors"]]
    assert KafkaError._TRANSPORT in codes and KafkaError._ALL_BROKERS_DOWN in codes
    assert not any(err.fatal() for _, err in refused["errors"])
    first = refused["errors"][0][0]
    ((reported_at, err),) = refused["reports"]
    assert err.code() == KafkaError._MSG_TIMED_OUT, "the delivery report comes at the delivery timeout"
    assert reported_at >= module.DELIVERY_TIMEOUT_MS / 1000 - 0.5
    assert first < 1.5 < reported_at, "error_cb spoke within a second; the report only after the timeout"
    names = {err.code() for _, err in unresolvable["errors"]}
    assert {KafkaError._RESOLVE, KafkaError._ALL_BROKERS_DOWN} <= names
    assert unresolvable["reports"][0][1].code() == KafkaError._MSG_TIMED_OUT


def test_kafka_python_metrics_have_the_watched_names(example, topic):
    module = example("03_kafka_python_metrics.py")
    numbers, seen = module.main(topic)
    assert seen["offsets"] == list(range(module.RECORDS))
    assert set(numbers) == set(module.WATCHED)
    assert numbers["record-error-rate"] == 0 and numbers["request-latency-avg"] > 0
    assert numbers["record-send-rate"] > 0 and numbers["requests-in-flight"] == 0
    groups = seen["groups"]
    assert any(g.startswith("producer-node-metrics.node-") for g in groups), "per-broker request latency"
    assert f"producer-topic-metrics.{topic}" in groups
    assert "buffer-available-bytes" not in groups["producer-metrics"], "kafka-python 3 has no buffer pool metric"
