"""The performance page's asyncio rows: AIOProducer's and aiokafka's runners deliver every record, the
records per request counted from the leader's log agree with librdkafka's own statistics (the method
used for aiokafka, which has no metrics), and AIOProducer's Python-side buffer holds records at a
moderate rate. Short runs on the test cluster; no absolute timing is asserted."""

import sys
from pathlib import Path

import pytest

from kafkalab import new_topic

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from perf import runners as r

sys.path.pop(0)

SAME = r.settings(linger_ms=20, batch_size=65536)  # the client comparison's settings
N = 5000


def _probe(cluster, topic: str) -> r.Probe:
    leader = cluster.leader(topic, 0)
    assert leader is not None, f"no leader for {topic}"
    return r.Probe([n.pid for n in cluster.brokers if n.pid], cluster.node(leader).data_dir / f"{topic}-0")


def _topic(cluster, name: str) -> str:
    return new_topic(cluster.bootstrap_servers, name, 1, 3, {"min.insync.replicas": "2"})


@pytest.mark.timeout(180)
@pytest.mark.parametrize("runner", [r.aioproducer_throughput, r.aiokafka_throughput], ids=["aioproducer", "aiokafka"])
def test_asyncio_throughput_runner_delivers_every_record_in_batches(kafka_cluster, runner):
    topic = _topic(kafka_cluster, f"perf-test-{runner.__name__}")
    out = runner(kafka_cluster.bootstrap_servers, topic, SAME, r.letters_payloads(100), N, _probe(kafka_cluster, topic))
    assert out["records"] == N and out["errors"] == 0
    stored = out["stored_bytes"]
    # every record is in the leader's log once: 100-byte payloads plus batch and record framing
    assert N * 100 < stored < N * 100 * 1.2
    assert out["records_per_request"] > 10  # batched, not one record per request


@pytest.mark.timeout(180)
def test_records_per_batch_in_the_log_match_librdkafkas_records_per_request(kafka_cluster):
    """AIOProducer's run measures both: librdkafka's statistics (txmsgs / Produce requests) and the
    batches counted in the log. They must agree for the log count to stand in for aiokafka."""
    topic = _topic(kafka_cluster, "perf-test-batches-vs-requests")
    out = r.aioproducer_throughput(
        kafka_cluster.bootstrap_servers, topic, SAME, r.letters_payloads(100), N, _probe(kafka_cluster, topic)
    )
    assert out["errors"] == 0
    assert out["records_per_stored_batch"] == pytest.approx(out["records_per_request"], rel=0.05)


@pytest.mark.timeout(180)
def test_aioproducer_futures_wait_for_its_buffer_at_a_moderate_rate(kafka_cluster):
    """At 1,000 records/s with no flush between sends, AIOProducer's futures complete only after its
    1000-record buffer went to librdkafka and a later poll served the report: hundreds of ms, where
    aiokafka (same settings, same rate, same run) answers several times sooner."""
    at_rate = r.settings(linger_ms=0)
    results = {}
    for name, runner in (("aioproducer", r.aioproducer_latency), ("aiokafka", r.aiokafka_latency)):
        topic = _topic(kafka_cluster, f"perf-test-latency-{name}")
        results[name] = runner(kafka_cluster.bootstrap_servers, topic, at_rate, b"x" * 100, 1000, 1.5)
        assert results[name]["errors"] == 0 and results[name]["samples"] == 1500, name
    assert results["aioproducer"]["p50_ms"] > 100
    assert results["aiokafka"]["p50_ms"] < results["aioproducer"]["p50_ms"] / 3


def test_aiokafka_builds_record_batches_in_its_compiled_extensions():
    """aiokafka's accumulator (Python) builds each batch with DefaultRecordBatchBuilder from
    aiokafka.record._crecords, Cython modules its wheel ships (a pure-Python fallback is used only
    with AIOKAFKA_NO_EXTENSIONS set)."""
    import aiokafka.producer.message_accumulator as accumulator
    import aiokafka.record._crecords.default_records as compiled

    assert accumulator.DefaultRecordBatchBuilder is compiled.DefaultRecordBatchBuilder
    assert Path(compiled.__file__).suffix == ".so"
    assert Path(accumulator.__file__).suffix == ".py"
