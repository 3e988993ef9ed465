"""The error surfaces the error-handling page describes, reproduced on the real cluster."""

import importlib.util
import logging
import time
from collections import Counter
from pathlib import Path

import kafka.errors as Errors
import pytest
from confluent_kafka import KafkaError, Producer

import kafkalab

SECURITY = kafkalab.client_settings("confluent-kafka")


def test_confluent_kafka_drain_and_retry_loses_nothing(example):
    result = example("01_queue_full_confluent_kafka.py").main()
    assert result["queue_full"] >= 24, "the tiny queue filled up dozens of times"
    assert result["remaining"] == 0
    assert all(err is None for err, _ in result["reports"])
    assert Counter(value for _, value in result["reports"]) == Counter(result["sent"]), "one report per record"
    assert Counter(result["read_back"]) == Counter(result["sent"]), "each record stored exactly once"


def test_confluent_kafka_acknowledged_records_keep_their_queue_slots_until_polled(example):
    mod = example("01_queue_full_confluent_kafka.py")
    result = mod.acknowledged_records_keep_their_slots()
    assert result["stored"], "the broker has every record: all of them were acknowledged"
    assert type(result["before_poll"]) is BufferError, "yet the queue is still full"
    assert result["served"] == [None] * mod.QUEUE_LIMIT, "one poll() served every report"
    assert result["remaining"] == 0, "after poll() served the reports, the next record was queued and delivered"


def test_confluent_kafka_backpressure_gives_up_after_its_bound(example):
    """A broker that is gone for good surfaces as BufferError after max_wait, not as a hang."""
    mod = example("01_queue_full_confluent_kafka.py")
    producer = Producer({"bootstrap.servers": "127.0.0.1:1", "queue.buffering.max.messages": 1})
    try:
        producer.produce("nowhere", b"fills the queue")
        started = time.monotonic()
        with pytest.raises(BufferError):
            mod.produce_with_backpressure(producer, "nowhere", b"one more", on_delivery=None, max_wait=1.0)
        assert 1.0 <= time.monotonic() - started < 5
    finally:
        producer.purge()
        producer.flush(0)


def test_confluent_kafka_retry_once_can_still_raise_buffer_error(example):
    error = example("01_queue_full_confluent_kafka.py").demonstrate_retry_once()
    assert type(error) is BufferError


def test_kafka_python_has_no_buffer_memory_and_a_bounded_backlog_loses_nothing(example):
    mod = example("02_queue_full_kafka_python.py")
    error = mod.buffer_memory_is_rejected()
    assert type(error) is ValueError and "buffer_memory" in str(error)
    result = mod.main()
    assert result["waits"] > 0 and result["max_pending"] == mod.MAX_PENDING
    assert result["failed"] == []
    assert Counter(value for value, _ in result["delivered"]) == Counter(result["sent"])
    assert Counter(result["read_back"]) == Counter(result["sent"])


def test_confluent_kafka_too_large(example):
    result = example("03_too_large_confluent_kafka.py").main()
    local = result["producer_limit"]["error"]
    assert isinstance(local, KafkaError) and local.code() == KafkaError.MSG_SIZE_TOO_LARGE, "produce() raised"
    assert not local.retriable()
    assert result["producer_limit"]["queued"] == 0, "not queued: no delivery report will follow"
    for name in ("topic_limit", "topic_limit_idempotent"):
        reports = result[name]
        assert reports[b"large"].code() == KafkaError.MSG_SIZE_TOO_LARGE == 10, "the broker's verdict, in the report"
        assert reports[b"small"] is None, f"{name}: the producer keeps working"
    assert len(result["batch_default"]) == 50
    assert all(err is not None and err.code() == KafkaError.MSG_SIZE_TOO_LARGE for err in result["batch_default"])
    assert result["batch_fixed"] == [None] * 50


def test_kafka_python_too_large(example, caplog):
    caplog.set_level(logging.WARNING, logger="kafka.producer.sender")
    result = example("04_too_large_kafka_python.py").main()
    assert type(result["producer_limit"]) is Errors.MessageSizeTooLargeError, "send() raised"
    assert Errors.MessageSizeTooLargeError.retriable is False
    unguarded = result["topic_limit"]
    assert [type(unguarded[n]) for n in ("large", "small", "small again")] == [Errors.MessageSizeTooLargeError] * 3, (
        "the idempotent producer stays failed"
    )
    guarded = result["topic_limit_guarded"]
    assert type(guarded["large"]) is Errors.MessageSizeTooLargeError
    assert [guarded["small"].offset, guarded["small again"].offset] == [0, 1], "rejected locally, producer works"
    not_idempotent = result["topic_limit_not_idempotent"]
    assert type(not_idempotent["large"]) is Errors.MessageSizeTooLargeError
    assert [not_idempotent["small"].offset, not_idempotent["small again"].offset] == [0, 1]
    batch = result["batch"]
    assert any("splitting batch" in r.getMessage() for r in caplog.records), "the broker refused the batch"
    assert type(batch["flush_error"]) is Errors.UnknownError and "Future not done" in str(batch["flush_error"])
    assert len(batch["outcomes"]) == 50
    assert [type(o).__name__ for o in batch["outcomes"]] == ["RecordMetadata"] * 50
    assert sorted(o.offset for o in batch["outcomes"]) == list(range(50))


def test_confluent_kafka_missing_topic_fails_in_the_delivery_report(example):
    result = example("05_unknown_topic_confluent_kafka.py").main()
    err, elapsed = result["message_timeout"]
    assert err.code() == KafkaError._MSG_TIMED_OUT and 2.5 < elapsed < 10
    err, elapsed = result["propagation_timeout"]
    assert err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART and 1.5 < elapsed < 10
    assert not err.retriable(), "a delivery report's error is never flagged retriable()"


def test_kafka_python_missing_topic_raises_from_send(example):
    error, elapsed = example("06_unknown_topic_kafka_python.py").main()
    assert type(error) is Errors.KafkaTimeoutError and error.retriable
    assert "Failed to update metadata after 3.0 secs." in str(error)
    assert 2.5 < elapsed < 10


def test_the_defaults_the_page_quotes(kafka_topic, kafka_bootstrap):
    """A topic's max.message.bytes (the broker's message.max.bytes, about 1 MB), librdkafka's
    topic.metadata.propagation.max.ms (30 s) and kafka-python's max_block_ms (60 s)."""
    from confluent_kafka.admin import AdminClient, ConfigResource
    from kafka import KafkaProducer

    admin = AdminClient({"bootstrap.servers": kafka_bootstrap, **SECURITY})
    resource = ConfigResource(ConfigResource.Type.TOPIC, kafka_topic)
    configs = admin.describe_configs([resource])[resource].result(timeout=30)
    assert configs["max.message.bytes"].value == "1048588"
    assert configs["max.message.bytes"].is_default
    # librdkafka's own default, read from the library bundled with confluent-kafka (the configuration page's hook)
    hook_path = Path(__file__).parents[3] / "docs" / "hooks" / "producer_defaults.py"
    spec = importlib.util.spec_from_file_location("producer_defaults_for_error_handling", hook_path)
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    assert hook.Librdkafka().defaults(["topic.metadata.propagation.max.ms"]) == {
        "topic.metadata.propagation.max.ms": "30000"
    }
    assert KafkaProducer.DEFAULT_CONFIG["max_block_ms"] == 60000
    assert KafkaProducer.DEFAULT_CONFIG["delivery_timeout_ms"] == 120000


def test_the_page_names_librdkafka_error_codes_that_exist():
    for name in ("_TRANSPORT", "NOT_LEADER_FOR_PARTITION", "UNKNOWN_TOPIC_OR_PART", "MSG_SIZE_TOO_LARGE",
                 "TOPIC_AUTHORIZATION_FAILED", "_FENCED", "PRODUCER_FENCED", "_MSG_TIMED_OUT"):  # fmt: skip
        assert isinstance(getattr(KafkaError, name), int), name


def test_the_page_names_the_installed_client_versions():
    import confluent_kafka
    import kafka

    assert confluent_kafka.__version__ == "2.16.1"
    assert confluent_kafka.libversion()[0] == "2.16.0"
    assert kafka.__version__ == "3.0.12"


# The messages the page quotes, as confluent-kafka 2.16.1 and kafka-python 3.0.12 print them.
CONFLUENT_KAFKA_MESSAGES = {
    "int value": "a bytes-like object is required, not 'int'",
    "int key": "a bytes-like object is required, not 'int'",
    "dict value": "a bytes-like object is required, not 'dict'",
    "int header value": "expected header value to be None, binary, or unicode string, not int",
}
KAFKA_PYTHON_MESSAGES = {
    "int value": "Unsupported type for serialized value: <class 'int'>",
    "int key": "Unsupported type for serialized key: <class 'int'>",
    "str value": "Unsupported type for serialized value: <class 'str'>",
    "headers as dict": "headers must be list-type",
    "int header value": "All headers items must be (str, bytes) tuples",
}


def test_confluent_kafka_bad_arguments_raise_type_error(example):
    result = example("07_bad_arguments_confluent_kafka.py").main()
    outcomes = result["outcomes"]
    for name, message in CONFLUENT_KAFKA_MESSAGES.items():
        assert type(outcomes[name]) is TypeError, name
        assert str(outcomes[name]) == message, name
    assert set(outcomes) == {*CONFLUENT_KAFKA_MESSAGES, "str value", "str key", "no key, no value"}
    assert outcomes["str value"] == outcomes["str key"] == outcomes["no key, no value"] == "queued"
    assert result["remaining"] == 0
    assert sorted(result["stored"], key=repr) == sorted(
        [(None, "grüße, encoded as UTF-8".encode()), ("küche".encode(), b"ok"), (None, None)], key=repr
    ), "only the queued records were stored, str as UTF-8"


def test_kafka_python_bad_arguments(example):
    outcomes = example("08_bad_arguments_kafka_python.py").main()
    assert set(outcomes) == {*KAFKA_PYTHON_MESSAGES, "no key, no value"}
    for name, message in KAFKA_PYTHON_MESSAGES.items():
        assert type(outcomes[name]) is TypeError, name
        assert str(outcomes[name]) == message, name
    assert type(outcomes["no key, no value"]) is ValueError
    assert str(outcomes["no key, no value"]) == "Need at least one: key or value"


def _check_dead_letters(result, error_header, error_value):
    huge = [v for v in result["values"] if v.startswith(b"huge")]
    small = [v for v in result["values"] if v.startswith(b"small")]
    assert sorted(value for _, value, _ in result["topic"]) == sorted(small)
    dlt = result["dead_letter_topic"]
    assert sorted(value for _, value, _ in dlt) == sorted(huge), "each reject, unchanged"
    for key, value, headers in dlt:
        headers = dict(headers)
        assert key == b"order-%d" % int(value.split(b"-")[2].split()[0])
        assert headers["source"] == b"shop", "original headers kept"
        assert headers[error_header] == error_value
        assert headers["dlt.original.topic"].startswith(b"orders-")


def test_confluent_kafka_dead_letter_from_the_delivery_callback(example):
    result = example("09_dead_letter_confluent_kafka.py").main()
    assert result["lost"] == []
    assert len(result["delivered"]) == 6 and len(result["dead_lettered"]) == 3
    _check_dead_letters(result, "dlt.error.name", b"MSG_SIZE_TOO_LARGE")
    assert all(dict(h)["dlt.error.code"] == b"10" for _, _, h in result["dead_letter_topic"])


def test_confluent_kafka_delivery_report_has_no_headers_and_runs_on_the_polling_thread(example):
    seen = example("09_dead_letter_confluent_kafka.py").what_a_delivery_report_carries()
    assert seen["err"] is None
    assert seen["headers"] is None, "msg.headers() in a delivery report"
    assert seen["stored_headers"] == [("source", b"shop")], "although the record has them"
    assert seen["thread"] == seen["caller_thread"], "the callback ran inside flush(), on the calling thread"


def test_kafka_python_dead_letter_from_the_application_thread(example):
    result = example("10_dead_letter_kafka_python.py").main()
    assert len(result["delivered"]) == 6 and len(result["dead_lettered"]) == 3
    _check_dead_letters(result, "dlt.error", b"MessageSizeTooLargeError")


def test_kafka_python_send_from_a_callback_blocks_the_network_thread(example):
    ((outcome, elapsed),) = example("10_dead_letter_kafka_python.py").send_from_callback()
    assert type(outcome) is Errors.KafkaTimeoutError
    assert elapsed >= 2.5, "it waited for max_block_ms"


def test_retriable_flags_of_kafka_python_errors():
    assert Errors.UnknownTopicOrPartitionError.retriable is True
    assert Errors.NotLeaderForPartitionError.retriable is True
    assert Errors.KafkaConnectionError.retriable is True
    assert Errors.MessageSizeTooLargeError.retriable is False
    assert Errors.TopicAuthorizationFailedError.retriable is False
    assert Errors.ProducerFencedError.retriable is False
