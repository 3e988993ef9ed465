"""benchmarks/producer_threads.py runs and prints its figures: four rows (each client, shared and per-thread),
every record delivered, and the two ratios. A short run on the test cluster; no timing is asserted."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "producer_threads.py"


@pytest.mark.timeout(240)
def test_threads_benchmark_prints_its_figures_and_ratios(kafka_bootstrap):
    env = os.environ | {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "RECORDS": "500", "ROUNDS": "1"}
    done = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=200)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = re.findall(r"^(confluent-kafka|kafka-python)\s+(shared|per-thread)\s+(\d+)\s+([\d.]+)\s+(\d+)/(\d+)$",
                      done.stdout, re.M)  # fmt: skip
    assert {(c, m) for c, m, *_ in rows} == {(c, m) for c in ("confluent-kafka", "kafka-python")
                                             for m in ("shared", "per-thread")}  # fmt: skip
    for *_, per_s, cpu, delivered, records in rows:
        assert int(per_s) > 0 and float(cpu) > 0
        assert delivered == records == "2000"
    ratios = re.findall(r"^ratio (\S+) shared/per-thread: throughput ([\d.]+)x, CPU per record ([\d.]+)x$",
                        done.stdout, re.M)  # fmt: skip
    assert [c for c, *_ in ratios] == ["confluent-kafka", "kafka-python"]
