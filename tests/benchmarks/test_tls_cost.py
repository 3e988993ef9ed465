"""benchmarks/tls_cost.py runs and prints its figures: a row per round for the plaintext and the TLS cluster,
their medians and the TLS/plaintext ratios, every record delivered (the script fails otherwise). A short run
on two clusters of its own; no timing is asserted."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "tls_cost.py"
# Two one-broker clusters on ports of their own: the session's port base - 3000 + 21 and + 22 (26113, 26114 by
# default), clear of the SASL/ACL cluster (+0), the secured modes (+1..) and the Java ones (+11..).
PORT_OFFSET = -3000 + 21


@pytest.mark.timeout(300)
def test_tls_cost_benchmark_prints_its_figures_and_ratios(tmp_path):
    port_base = int(os.environ.get("KAFKALAB_PORT_BASE") or 29092) + PORT_OFFSET
    args = ["--port-base", str(port_base), "--state-dir", str(tmp_path), "--rounds", "1", "--records", "3000",
            "--latency-records", "300", "--rate", "1000"]  # fmt: skip
    done = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-2000:]
    rounds = re.findall(r"^round 1\s+(plaintext|tls): +(\d+) records/s .*p50 ([\d.]+) ms, p99 ([\d.]+) ms$",
                        done.stdout, re.M)  # fmt: skip
    assert [name for name, *_ in rounds] == ["plaintext", "tls"], done.stdout
    for _, rps, p50, p99 in rounds:
        assert int(rps) > 0 and 0 < float(p50) <= float(p99)
    medians = re.findall(r"^\s*(plaintext|tls): +(\d+) records/s, p50", done.stdout, re.M)
    assert [name for name, _ in medians] == ["plaintext", "tls"], done.stdout
    ratio = re.search(r"^TLS / plaintext: throughput x([\d.]+), p50 x([\d.]+), p99 x([\d.]+)$", done.stdout, re.M)
    assert ratio is not None and all(float(r) > 0 for r in ratio.groups()), done.stdout
