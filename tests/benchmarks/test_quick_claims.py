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


def test_high_throughput_profile_beats_the_baseline_for_small_records(quick):
    profiles = quick["profiles"]
    speedup = median(profiles, "high-throughput", "msgs_per_s") / median(profiles, "baseline", "msgs_per_s")
    # Not the 2x one might expect on a loaded 2-core machine: full runs measured 1.9x and 2.0x.
    assert speedup >= 1.5, f"high-throughput / baseline msgs/s = {speedup:.2f}"
    # The mechanism: far fewer, fuller Produce requests, and less broker CPU per record.
    assert median(profiles, "high-throughput", "records_per_request") >= 3 * median(
        profiles, "baseline", "records_per_request"
    )
    assert median(profiles, "high-throughput", "broker_cpu_us_per_msg") < median(
        profiles, "baseline", "broker_cpu_us_per_msg"
    )


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
