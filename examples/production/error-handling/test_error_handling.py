"""The error surfaces the error-handling page describes, reproduced on the real cluster."""

import logging
from collections import Counter

import kafka.errors as Errors
from confluent_kafka import KafkaError


def test_confluent_kafka_drain_and_retry_loses_nothing(example):
    result = example("01_queue_full_confluent_kafka.py").main()
    assert result["queue_full"] > 0, "the tiny queue really filled up"
    assert result["remaining"] == 0
    assert all(err is None for err, _ in result["reports"])
    assert Counter(value for _, value in result["reports"]) == Counter(result["sent"]), "one report per record"
    assert Counter(result["read_back"]) == Counter(result["sent"]), "each record stored exactly once"


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
    local = result["producer_limit"]
    assert isinstance(local, KafkaError) and local.code() == KafkaError.MSG_SIZE_TOO_LARGE, "produce() raised"
    assert not local.retriable()
    reports = result["topic_limit"]
    assert reports[b"large"].code() == KafkaError.MSG_SIZE_TOO_LARGE, "the broker's verdict, in the report"
    assert reports[b"small"] is None, "the producer keeps working"
    assert len(result["batch_default"]) == 50
    assert all(err is not None and err.code() == KafkaError.MSG_SIZE_TOO_LARGE for err in result["batch_default"])
    assert result["batch_fixed"] == [None] * 50


def test_kafka_python_too_large(example, caplog):
    caplog.set_level(logging.WARNING, logger="kafka.producer.sender")
    result = example("04_too_large_kafka_python.py").main()
    assert type(result["producer_limit"]) is Errors.MessageSizeTooLargeError, "send() raised"
    assert Errors.MessageSizeTooLargeError.retriable is False
    unguarded = result["topic_limit"]
    assert type(unguarded["large"]) is Errors.MessageSizeTooLargeError
    assert type(unguarded["small"]) is Errors.MessageSizeTooLargeError, "the idempotent producer stays failed"
    guarded = result["topic_limit_guarded"]
    assert type(guarded["large"]) is Errors.MessageSizeTooLargeError
    assert guarded["small"].offset == 0, "rejected locally, the producer keeps working"
    batch = result["batch"]
    assert any("splitting batch" in r.getMessage() for r in caplog.records), "the broker refused the batch"
    assert type(batch["flush_error"]) is Errors.UnknownError
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
    assert 2.5 < elapsed < 10


def test_confluent_kafka_bad_arguments_raise_type_error(example):
    outcomes = example("07_bad_arguments_confluent_kafka.py").main()
    for name in ("int value", "int key", "dict value", "int header value"):
        assert type(outcomes[name]) is TypeError, name
    assert outcomes["str value"] == "queued"


def test_kafka_python_bad_arguments(example):
    outcomes = example("08_bad_arguments_kafka_python.py").main()
    for name in ("int value", "int key", "str value", "headers as dict"):
        assert type(outcomes[name]) is TypeError, name
    assert type(outcomes["no key, no value"]) is ValueError


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
