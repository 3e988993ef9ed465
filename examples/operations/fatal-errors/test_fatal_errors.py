"""Fatal errors on the real cluster: how each client reports a fenced producer, that the idempotent
family does not occur when the broker forgets records or a topic, and that the recreating producer
loses nothing when its producer is fenced mid-transaction."""

import pytest
from confluent_kafka import KafkaError
from kafka.errors import IllegalStateError, InvalidProducerEpochError
from kafka.errors import KafkaError as KafkaPythonError


def test_confluent_kafka_reports_fencing_as_fatal_from_poll_commit_and_produce(example):
    mod = example("01_confluent_kafka_fenced.py")
    seen = mod.main()

    polled, committed, produced = seen["poll"], seen["commit"], seen["produce"]
    assert polled is not None and polled.code() == KafkaError._FENCED
    assert polled.fatal() and not polled.retriable() and not polled.txn_requires_abort()
    assert committed is not None and committed.code() == KafkaError._FENCED and committed.fatal()
    assert not committed.retriable() and not committed.txn_requires_abort()
    assert produced is not None and produced.code() == KafkaError._FATAL
    assert not produced.fatal(), "produce()'s _FATAL error itself says fatal() is False"
    assert all(mod.is_fatal(e) for e in (polled, committed, produced))
    assert seen["reports"][0] is None, "the record sent before fencing was delivered"
    assert not any(e.fatal() for e in seen["error_cb"]), "a transactional producer's fatal error skips error_cb"


def test_kafka_python_fenced_producer_fails_every_later_call(example):
    seen = example("02_kafka_python_fenced.py").main()

    assert isinstance(seen["future"], InvalidProducerEpochError), seen
    assert seen["future"].errno == 47
    assert isinstance(seen["send"], IllegalStateError), seen
    for call in ("send", "commit", "abort"):
        assert isinstance(seen[call], KafkaPythonError), seen
        assert not seen[call].retriable, seen


@pytest.mark.usefixtures("kafka_three_brokers")  # replication factor 3
@pytest.mark.parametrize("how", ["delete_records", "recreate"])
@pytest.mark.parametrize("client", ["confluent-kafka", "kafka-python"])
def test_idempotent_producer_survives_the_broker_forgetting(example, client, how):
    mod = example("03_idempotent_attempts.py")
    seen = mod.main(client, how)

    assert seen["before"] == [None] * mod.PER_ROUND
    assert seen["after"] == [None] * mod.PER_ROUND, "no fatal (or any) error after the broker forgot"
    assert seen["error_cb"] == []


def test_recreating_producer_loses_nothing_when_fenced(example):
    seen = example("04_recreate_producer.py").main(batches=3, per_batch=10, fence_in_batch=1)

    print(
        f"\nrecreate: sent {len(seen['sent'])}, missing {len(seen['missing'])}, "
        f"duplicates read_committed {seen['duplicates_committed']}, aborted copies in log {seen['copies_in_log']}, "
        f"recreations {seen['recreations']}"
    )
    assert seen["recreations"] == 1, "the fence killed exactly one producer"
    in_log_only = [k for k in seen["missing"] if k in seen["in_log"]]
    assert seen["missing"] == [], f"missing {seen['missing']}, of which in the log (read_uncommitted) {in_log_only}"
    assert set(seen["committed"]) == set(seen["sent"])
    assert seen["duplicates_committed"] == 0, "the fenced transaction was aborted: its copies never count"
    assert seen["copies_in_log"] == 10, "the fenced batch's 10 records stay in the log, aborted, beside the resend"
