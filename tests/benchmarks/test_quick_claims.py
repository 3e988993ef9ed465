"""The performance page's qualitative claims, measured in one quick run of the benchmark on the
test cluster. Only ratios between configurations of the same run are asserted, never times."""

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "producer_perf.py"


@pytest.fixture(scope="module")
def quick(kafka_cluster):
    spec = importlib.util.spec_from_file_location("producer_perf", SCRIPT)
    perf = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = perf  # its dataclasses look their module up
    spec.loader.exec_module(perf)
    return perf.run("quick", kafka_cluster.bootstrap_servers, kafka_cluster, progress=False)["groups"]


def median(group: dict, case: str, metric: str) -> float:
    return group["cases"][case]["stats"][metric]["median"]


@pytest.mark.timeout(240)
def test_every_run_delivered_everything(quick):
    for group in quick.values():
        for label, case in group["cases"].items():
            assert case["failures"] == [], label
            assert case["errors"] == 0, label
            assert case["stats"]["msgs_per_s"]["n"] == 3, label  # three interleaved runs each
            if "p50_ms" in case["stats"]:
                assert case["stats"]["p50_ms"]["n"] == 3, label


def test_high_throughput_profile_fills_bigger_requests_but_gains_little_over_librdkafka_defaults(quick):
    """The tuning page's confluent-kafka high-throughput profile against librdkafka's own defaults
    (not against a cut-down baseline): twice the records per request, not 1.5x the msgs/s, and
    the median record waits for its longer linger.ms."""
    profiles = quick["profiles"]
    base, ht = "confluent-kafka defaults", "confluent-kafka high-throughput"
    tuning = SCRIPT.parents[1] / "examples" / "production" / "tuning" / "01_profiles_confluent_kafka.py"
    spec = importlib.util.spec_from_file_location("tuning_profiles_under_test", tuning)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert profiles["cases"][ht]["settings"] == module.PROFILES["high-throughput"], "the tuning page's profile"
    assert not {"batch.size", "queue.buffering.max.kbytes", "queue.buffering.max.messages"} & set(
        profiles["cases"][ht]["settings"]
    ), "librdkafka's own batch and queue limits"
    assert profiles["cases"][base]["settings"] == {}
    assert median(profiles, ht, "records_per_request") >= 1.5 * median(profiles, base, "records_per_request")
    speedup = median(profiles, ht, "msgs_per_s") / median(profiles, base, "msgs_per_s")
    # Full runs measured 1.00x; the defaults already fill ~1 MB batches at saturation.
    assert speedup < 1.5, f"high-throughput / defaults msgs/s = {speedup:.2f}"
    # linger.ms 20 instead of 5 at 1,000 records/s: the median record waits for company. A lower bound
    # only: load on a shared machine adds latency to both sides (full runs: p50 15 ms against 5.7 ms).
    assert median(profiles, ht, "p50_ms") >= 10


def test_lz4_stores_under_half_the_bytes_of_none_for_json_events(quick):
    compression = quick["compression"]
    assert median(compression, "none", "stored_per_payload_byte") > 1.0  # batch and record framing
    assert median(compression, "lz4", "stored_per_payload_byte") < 0.5 * median(
        compression, "none", "stored_per_payload_byte"
    )


def test_synchronous_sends_are_over_ten_times_slower_than_asynchronous(quick):
    patterns = quick["patterns"]
    assert median(patterns, "async", "msgs_per_s") >= 10 * median(patterns, "sync", "msgs_per_s")
    assert median(patterns, "sync", "records_per_request") <= 1.05  # one record per round trip
