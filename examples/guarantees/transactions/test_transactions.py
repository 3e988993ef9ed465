"""Committed transactions are visible to read_committed consumers, aborted ones only to read_uncommitted ones,
and a second producer with the same transactional.id fences the first."""

import time
import uuid

import kafka.errors
import pytest
from confluent_kafka import KafkaError
from kafka.admin import KafkaAdminClient
from kafka.errors import ProducerFencedError

import kafkalab

COMMITTED, ABORTED = b'{"qty": 5}', b'{"qty": 7}'


@pytest.mark.parametrize("client", ["01_confluent_kafka.py", "02_kafka_python.py"])
def test_commit_visible_abort_hidden_from_read_committed(example, client):
    seen = example(client).main()

    assert seen["orders read_committed"] == [COMMITTED]
    assert seen["audit read_committed"] == [b"accepted order-1"]
    assert seen["orders read_uncommitted"] == [COMMITTED, ABORTED]  # aborted records stay in the log
    assert seen["audit read_uncommitted"] == [b"accepted order-1", b"accepted order-2"]


def fence(mod, bootstrap):
    orders = kafkalab.new_topic(bootstrap, "transactions-fence-orders")
    audit = kafkalab.new_topic(bootstrap, "transactions-fence-audit")
    transactional_id = f"order-processor-{uuid.uuid4().hex[:8]}"
    zombie = mod.transactional_producer(transactional_id)
    successor = mod.transactional_producer(transactional_id)  # same id: init_transactions fences the zombie
    error = mod.commit_or_close(zombie, orders, audit, b"order-3", b"zombie")
    mod.commit_order(successor, orders, audit, b"order-4", b"successor")
    return error, successor, mod.read(orders, "read_committed")


def test_confluent_kafka_fencing_is_a_fatal_fenced_error(example, kafka_bootstrap):
    mod = example("01_confluent_kafka.py")
    error, successor, committed = fence(mod, kafka_bootstrap)
    successor.close()

    assert isinstance(error, KafkaError)
    assert error.code() == KafkaError._FENCED  # librdkafka's local code, not the broker's PRODUCER_FENCED
    assert error.fatal()
    assert not error.retriable() and not error.txn_requires_abort()
    assert committed == [b"successor"]


def test_kafka_python_fencing_raises_producer_fenced_error(example, kafka_bootstrap):
    mod = example("02_kafka_python.py")
    error, successor, committed = fence(mod, kafka_bootstrap)
    successor.close(timeout=10)

    assert type(error) is ProducerFencedError
    assert error.errno == 90
    assert committed == [b"successor"]


@pytest.mark.parametrize("pause_between_sends", [False, True])
def test_kafka_python_fencing_surfaces_in_commit_or_in_the_next_send(example, kafka_bootstrap, pause_between_sends):
    mod = example("02_kafka_python.py")
    topic = kafkalab.new_topic(kafka_bootstrap, "transactions-fence-surface")
    transactional_id = f"order-processor-{uuid.uuid4().hex[:8]}"
    zombie = mod.transactional_producer(transactional_id)
    successor = mod.transactional_producer(transactional_id)
    try:
        zombie.begin_transaction()
        zombie.send(topic, b"first")
        if pause_between_sends:
            time.sleep(1)  # the broker's PRODUCER_FENCED answer arrives meanwhile
            with pytest.raises(kafka.errors.KafkaError) as raised:
                zombie.send(topic, b"second")
            assert type(raised.value) is kafka.errors.KafkaError
            assert type(raised.value.args[-1]) is ProducerFencedError
        else:
            with pytest.raises(ProducerFencedError):
                zombie.commit_transaction()
    finally:
        zombie.close(timeout=10)
        successor.close(timeout=10)


def test_python_clients_run_transaction_protocol_v1_on_a_v2_cluster(example, kafka_bootstrap):
    """KIP-890's protocol v2 bumps the producer epoch at every commit; v1 keeps it. Epoch 0 after three
    commits therefore means v1, although the cluster has transaction.version 2 finalized."""
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        assert admin.describe_features()["transaction.version"]["finalized"] == (2, 2)
        for client in ("01_confluent_kafka.py", "02_kafka_python.py"):
            mod = example(client)
            topic = kafkalab.new_topic(kafka_bootstrap, "transactions-epoch")
            transactional_id = f"epoch-check-{uuid.uuid4().hex[:8]}"
            producer = mod.transactional_producer(transactional_id)
            for i in range(3):
                mod.commit_order(producer, topic, topic, f"order-{i}".encode(), b"{}")
            producer.close()
            state = admin.describe_transactions([transactional_id])[transactional_id]
            assert state.producer_epoch == 0, client
    finally:
        admin.close()
