"""The tuning page's throughput profiles raise each client's batching limits from that client's own
defaults (read from the installed clients by the configuration reference's hook), never below them."""

from pathlib import Path

ROOT = Path(__file__).parents[2]
TUNING = ROOT / "examples" / "production" / "tuning"
LIBRDKAFKA_LIMITS = [
    "batch.size",
    "batch.num.messages",
    "linger.ms",
    "queue.buffering.max.kbytes",
    "queue.buffering.max.messages",
]
KAFKA_PYTHON_LIMITS = ["batch_size", "linger_ms"]


def test_confluent_kafka_throughput_profile_never_shrinks_librdkafka(hook, load_module):
    profile = load_module("tuning_confluent", TUNING / "01_profiles_confluent_kafka.py").PROFILES["high-throughput"]
    defaults = hook.Librdkafka().defaults(LIBRDKAFKA_LIMITS)
    for name in LIBRDKAFKA_LIMITS:
        if name in profile:
            assert float(profile[name]) >= float(defaults[name]), f"{name}={profile[name]} < default {defaults[name]}"
    assert float(profile["linger.ms"]) > float(defaults["linger.ms"])  # what it changes: the wait, and compression
    assert profile["compression.type"] != "none"


def test_kafka_python_throughput_profile_raises_its_defaults(hook, load_module):
    profile = load_module("tuning_kafka_python", TUNING / "02_profiles_kafka_python.py").PROFILES["high-throughput"]
    _, defaults = hook.kafka_python_defaults()
    for name in KAFKA_PYTHON_LIMITS:
        assert profile[name] > defaults[name], f"{name}={profile[name]} is not above kafka-python's {defaults[name]}"
