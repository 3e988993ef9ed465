"""What the performance page says about kafka-python's optional extensions: the extras its package
declares, that its record CRC falls back to pure Python without `crc32c`, and that the benchmark's
worker really runs without it when asked to (so the comparison compares what it claims)."""

import json
import subprocess
import sys
from importlib.metadata import metadata
from pathlib import Path

import pytest

PERF = Path(__file__).parents[2] / "benchmarks"

PROBE = """
import sys
sys.modules["crc32c"] = None  # as benchmarks/perf/kafka_python_worker.py hides it
import kafka.record.util as util
from kafka.record._crc32c import crc
print(util.crc32c_c is None, util._crc32c is crc, hex(util.calc_crc32c(memoryview(b"123456789"))))
"""


def test_kafka_python_declares_its_optional_extensions_as_extras():
    meta = metadata("kafka-python")
    assert meta["Version"] == "3.0.12"
    extras = set(meta.get_all("Provides-Extra"))
    assert {"crc32c", "lz4", "snappy", "zstd"} <= extras
    requires = set(meta.get_all("Requires-Dist"))
    assert 'crc32c; extra == "crc32c"' in requires
    assert 'lz4; extra == "lz4"' in requires
    assert 'python-snappy; extra == "snappy"' in requires
    assert 'zstandard; extra == "zstd"' in requires
    # none of them is installed by this project: the default install stays as it was
    for module in ("crc32c", "lz4", "snappy", "zstandard"):
        found = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, check=False)
        assert found.returncode != 0, f"{module} is installed in the project's environment"


def test_without_crc32c_kafka_python_computes_record_crcs_in_pure_python():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True)
    # 0xe3069283 is CRC-32C's check value for b"123456789": the fallback is correct, only slower
    assert out.stdout.split() == ["True", "True", "0xe3069283"], out.stderr


def test_the_worker_reports_and_enforces_the_crc_implementation(monkeypatch):
    """kafka_python_isolated fails a run whose CRC-32C implementation is not the one asked for."""
    sys.path.insert(0, str(PERF))
    try:
        from perf import runners
    finally:
        sys.path.remove(str(PERF))

    class Finished:
        returncode = 0
        stderr = ""

        def __init__(self, implementation: str):
            self.stdout = json.dumps({"crc32c_implementation": implementation}) + "\n"

    seen = []

    def fake_run(cmd, env, **kwargs):
        seen.append((json.loads(cmd[-1])["hide"], env["PYTHONPATH"]))
        return Finished("pure Python")

    monkeypatch.setattr(runners.subprocess, "run", fake_run)
    args = ("b:9092", "t", {}, "letters100", 10, [], None)
    assert runners.kafka_python_isolated(*args, extras=None)["crc32c_implementation"] == "pure Python"
    with pytest.raises(RuntimeError, match="not 'crc32c'"):  # extras asked for, pure Python used
        runners.kafka_python_isolated(*args, extras=Path("/nonexistent/extras"))
    assert seen[0][0] == ["crc32c"] and "/nonexistent/extras" not in seen[0][1]
    assert seen[1][0] == [] and seen[1][1].startswith("/nonexistent/extras")


@pytest.mark.parametrize("codec", ["lz4", "snappy", "zstd"])
def test_without_its_codec_package_kafka_python_refuses_the_compression_type(codec):
    from kafka import KafkaProducer

    with pytest.raises(RuntimeError, match=f"^Libraries for {codec} compression codec not found$"):
        KafkaProducer(bootstrap_servers="127.0.0.1:1", api_version=(4, 0, 0), compression_type=codec)
