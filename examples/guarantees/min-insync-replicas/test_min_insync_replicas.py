"""min.insync.replicas on a healthy cluster: the setting is stored on the topic, acks=all writes succeed while the
ISR is full, and a value above the replication factor is capped by the broker instead of blocking writes.

What happens when the ISR really shrinks below the setting needs a broker fault: that is a lab, not this test."""

import pytest
from confluent_kafka import KafkaError
from kafka.admin import KafkaAdminClient
from kafka.errors import NotEnoughReplicasAfterAppendError, NotEnoughReplicasError

import kafkalab

SECURITY = kafkalab.client_settings("kafka-python")


@pytest.mark.usefixtures("kafka_three_brokers")  # replication factor 3
def test_confluent_kafka(example, kafka_bootstrap):
    result = example("01_confluent_kafka.py").main()

    assert result["configs"]["min.insync.replicas"] == ("2", "DYNAMIC_TOPIC_CONFIG")
    assert result["configs"]["unclean.leader.election.enable"] == ("false", "DEFAULT_CONFIG")
    state = kafkalab.Admin(kafka_bootstrap).partition(result["topic"])
    assert len(state.replicas) == 3 and sorted(state.isr) == sorted(state.replicas)
    assert result["acks_all"] == (None, 0)

    # RF 1 with min.insync.replicas=2: the broker uses min(2, RF) = 1, so acks=all succeeds
    assert len(kafkalab.Admin(kafka_bootstrap).partition(result["capped_topic"]).replicas) == 1
    assert result["capped_acks_all"] == (None, 0)


@pytest.mark.usefixtures("kafka_three_brokers")  # replication factor 3
def test_kafka_python(example, kafka_bootstrap):
    result = example("02_kafka_python.py").main()

    assert result["configs"]["min.insync.replicas"]["value"] == "2"
    assert result["configs"]["min.insync.replicas"]["config_source"] == "DYNAMIC_TOPIC_CONFIG"
    assert "unclean.leader.election.enable" not in result["configs"]  # left at its default (false)
    state = kafkalab.Admin(kafka_bootstrap).partition(result["topic"])
    assert len(state.replicas) == 3 and sorted(state.isr) == sorted(state.replicas)
    assert result["acks_all"].offset == 0
    assert len(kafkalab.Admin(kafka_bootstrap).partition(result["capped_topic"]).replicas) == 1
    assert result["capped_acks_all"].offset == 0


def test_error_codes_match_across_clients():
    assert KafkaError.NOT_ENOUGH_REPLICAS == NotEnoughReplicasError.errno == 19
    assert KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND == NotEnoughReplicasAfterAppendError.errno == 20
    assert NotEnoughReplicasError.retriable and NotEnoughReplicasAfterAppendError.retriable


def test_cluster_has_eligible_leader_replicas_on(kafka_bootstrap):
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, **SECURITY)
    try:
        assert admin.describe_features()["eligible.leader.replicas.version"]["finalized"] == (1, 1)
    finally:
        admin.close()
