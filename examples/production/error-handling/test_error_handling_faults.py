"""Error surfaces that need more than a healthy cluster: a partition without a leader (a broker of
the session cluster is killed, then restored) and a user without write permission (the SASL cluster)."""

import pytest
from confluent_kafka import KafkaError
from kafka.errors import KafkaTimeoutError, TopicAuthorizationFailedError


@pytest.mark.faults
def test_confluent_kafka_reports_a_timed_out_retriable_error(example, kafka_cluster):
    err, verdict = example("20_no_leader_confluent_kafka.py").main(kafka_cluster)
    assert err is not None and err.code() == KafkaError._MSG_TIMED_OUT
    assert not err.retriable(), "librdkafka does not flag the final delivery error as retriable"
    assert not err.fatal()
    assert verdict.startswith("retriable")
    assert all(s.state == "running" for s in kafka_cluster.status()), "the example restores the cluster"


@pytest.mark.faults
def test_kafka_python_reports_a_timeout(example, kafka_cluster):
    error = example("21_no_leader_kafka_python.py").main(kafka_cluster)
    assert isinstance(error, KafkaTimeoutError)
    assert error.retriable


def test_confluent_kafka_denied_write_is_a_non_retriable_authorization_error(example, kafka_secure_cluster):
    err = example("22_not_authorized_confluent_kafka.py").main(kafka_secure_cluster.bootstrap_servers)
    assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    assert not err.retriable() and not err.fatal()


def test_kafka_python_denied_write_raises_topic_authorization_failed(example, kafka_secure_cluster):
    exc = example("23_not_authorized_kafka_python.py").main(kafka_secure_cluster.bootstrap_servers)
    assert isinstance(exc, TopicAuthorizationFailedError)
    assert exc.retriable is False
