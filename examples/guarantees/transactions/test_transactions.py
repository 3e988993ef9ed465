"""Committed transactions are visible to read_committed consumers, aborted ones only to read_uncommitted ones,
and a second producer with the same transactional.id fences the first."""

import time
import uuid

import kafka.errors
import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaConfigurationError, ProducerFencedError
from kafka.structs import OffsetAndMetadata

import kafkalab

CONFLUENT_SECURITY = kafkalab.client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = kafkalab.client_settings("kafka-python")

COMMITTED, ABORTED = b'{"qty": 5}', b'{"qty": 7}'
CLIENTS = ["01_confluent_kafka.py", "02_kafka_python.py"]


def close(producer) -> None:
    if isinstance(producer, KafkaProducer):
        producer.close(timeout=10)
    else:
        producer.close()


@pytest.fixture
def txn_admin(kafka_bootstrap):
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, **KAFKA_PYTHON_SECURITY)
    yield admin
    admin.close()


@pytest.mark.parametrize("client", CLIENTS)
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
    assert error.code() == KafkaError._FENCED == -144  # librdkafka's local code, not the broker's PRODUCER_FENCED
    assert "This instance has been fenced by a newer instance" in error.str()
    assert error.fatal()
    assert not error.retriable() and not error.txn_requires_abort()
    assert committed == [b"successor"]


def test_kafka_python_fencing_raises_producer_fenced_error(example, kafka_bootstrap):
    mod = example("02_kafka_python.py")
    error, successor, committed = fence(mod, kafka_bootstrap)
    successor.close(timeout=10)

    assert mod.is_fenced(error), repr(error)
    assert type(error) is ProducerFencedError or "ProducerFencedError" in str(error)  # the broker's answer first
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
            assert "Cannot perform send because at least one previous transactional" in str(raised.value)
            assert type(raised.value.args[-1]) is ProducerFencedError
        else:
            # Straight to commit: the fencing error is raised as itself, or, when the broker's answer to
            # the send came first, as a plain KafkaError of the failed state wrapping it.
            with pytest.raises(kafka.errors.KafkaError) as raised:
                zombie.commit_transaction()
            assert type(raised.value) is ProducerFencedError or (
                "we are in an error state: [Error 90] ProducerFencedError" in str(raised.value)
            ), repr(raised.value)
            assert mod.is_fenced(raised.value)
    finally:
        zombie.close(timeout=10)
        successor.close(timeout=10)


def test_python_clients_run_transaction_protocol_v1_on_a_v2_cluster(example, kafka_bootstrap):
    """KIP-890's protocol v2 bumps the producer epoch at every commit; v1 keeps it. Epoch 0 after three
    commits therefore means v1, although the cluster has transaction.version 2 finalized."""
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, **KAFKA_PYTHON_SECURITY)
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


def test_a_transactional_id_turns_idempotence_on(kafka_bootstrap):
    transactional = {
        "bootstrap.servers": kafka_bootstrap,
        **CONFLUENT_SECURITY,
        "transactional.id": "order-processor-config-check",
    }
    # acks=1 is fine for a plain confluent-kafka producer; with a transactional.id idempotence is on, so it is refused
    Producer({"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY, "acks": 1})
    with pytest.raises(KafkaException, match="`acks` must be set to `all` when `enable.idempotence` is true"):
        Producer({**transactional, "acks": 1})
    with pytest.raises(KafkaException, match="`transactional.id` requires `enable.idempotence=true`"):
        Producer({**transactional, "enable.idempotence": False})

    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap, **KAFKA_PYTHON_SECURITY, transactional_id="order-processor-config-check"
    )
    try:
        assert producer.config["enable_idempotence"] is True
    finally:
        producer.close(timeout=10)
    with pytest.raises(KafkaConfigurationError, match="incompatible with user-provided acks=1"):
        KafkaProducer(
            bootstrap_servers=kafka_bootstrap,
            **KAFKA_PYTHON_SECURITY,
            transactional_id="order-processor-config-check",
            acks=1,
        )
    with pytest.raises(KafkaConfigurationError, match="Cannot set transactional_id without enable_idempotence"):
        KafkaProducer(
            bootstrap_servers=kafka_bootstrap,
            **KAFKA_PYTHON_SECURITY,
            transactional_id="order-processor-config-check",
            enable_idempotence=False,
        )


def test_transaction_defaults_of_the_python_clients(librdkafka_default):
    assert librdkafka_default("transaction.timeout.ms") == "60000"
    assert KafkaProducer.DEFAULT_CONFIG["transaction_timeout_ms"] == 60000
    assert librdkafka_default("isolation.level") == "read_committed"
    assert KafkaConsumer.DEFAULT_CONFIG["isolation_level"] == "read_uncommitted"


def test_transaction_state_is_kept_in_an_internal_topic(example, kafka_bootstrap):
    example("01_confluent_kafka.py").main()  # at least one transaction has run
    topics = AdminClient({"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY}).list_topics(timeout=10).topics
    assert "__transaction_state" in topics


@pytest.mark.parametrize("client", CLIENTS)
def test_a_second_init_transactions_bumps_the_epoch_of_the_same_producer_id(example, txn_admin, client):
    mod = example(client)
    transactional_id = f"order-processor-{uuid.uuid4().hex[:8]}"
    first = mod.transactional_producer(transactional_id)
    before = txn_admin.describe_transactions([transactional_id])[transactional_id]
    second = mod.transactional_producer(transactional_id)
    after = txn_admin.describe_transactions([transactional_id])[transactional_id]
    close(second)
    close(first)  # no transaction was open: closing the fenced one is quiet

    assert after.producer_id == before.producer_id
    assert after.producer_epoch == before.producer_epoch + 1


def test_confluent_kafka_fenced_producer_fails_every_later_call(example, kafka_bootstrap):
    mod = example("01_confluent_kafka.py")
    topic = kafkalab.new_topic(kafka_bootstrap, "transactions-fenced-later")
    transactional_id = f"order-processor-{uuid.uuid4().hex[:8]}"
    zombie = mod.transactional_producer(transactional_id)
    successor = mod.transactional_producer(transactional_id)
    try:
        with pytest.raises(KafkaException) as commit:
            mod.commit_order(zombie, topic, topic, b"order-5", b"zombie")
        assert commit.value.args[0].code() == KafkaError._FENCED
        with pytest.raises(KafkaException):
            zombie.begin_transaction()
        with pytest.raises(KafkaException) as produce:
            zombie.produce(topic, b"after fencing")
        assert produce.value.args[0].code() == KafkaError._FATAL
        with pytest.warns(RuntimeWarning, match="abort_transaction failed during close"):
            zombie.close()
    finally:
        successor.close()


def test_read_committed_stops_at_an_open_transaction(example, kafka_bootstrap):
    mod = example("01_confluent_kafka.py")
    topic = kafkalab.new_topic(kafka_bootstrap, "transactions-open")
    open_txn = mod.transactional_producer(f"order-processor-{uuid.uuid4().hex[:8]}")
    plain = Producer({"bootstrap.servers": kafka_bootstrap, **CONFLUENT_SECURITY})
    try:
        open_txn.begin_transaction()
        open_txn.produce(topic, b"in the open transaction")
        open_txn.flush(10)
        plain.produce(topic, b"written after it")  # outside any transaction
        assert plain.flush(10) == 0

        assert mod.read(topic, "read_committed", timeout=3) == []  # held back at the last stable offset
        both = [b"in the open transaction", b"written after it"]
        assert mod.read(topic, "read_uncommitted") == both
        open_txn.commit_transaction(30)
        deadline = time.monotonic() + 20  # the commit marker is written after commit_transaction() returns
        while (seen := mod.read(topic, "read_committed", timeout=3)) != both and time.monotonic() < deadline:
            time.sleep(0.2)
        assert seen == both
    finally:
        open_txn.close()


def test_kafka_python_sends_consumed_offsets_in_the_transaction(example, kafka_bootstrap, txn_admin):
    mod = example("02_kafka_python.py")
    source = kafkalab.new_topic(kafka_bootstrap, "transactions-source")
    sink = kafkalab.new_topic(kafka_bootstrap, "transactions-sink")
    group = f"order-enricher-{uuid.uuid4().hex[:8]}"
    producer = mod.transactional_producer(f"order-enricher-{uuid.uuid4().hex[:8]}")
    try:
        producer.begin_transaction()
        producer.send(sink, b"enriched order-1")
        producer.send_offsets_to_transaction({TopicPartition(source, 0): OffsetAndMetadata(1, "", -1)}, group)
        producer.commit_transaction()
    finally:
        producer.close(timeout=10)

    deadline = time.monotonic() + 20  # the commit markers are written after commit_transaction() returns
    while not (committed := txn_admin.list_group_offsets(group).get(group, {})) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert committed[TopicPartition(source, 0)].offset == 1  # committed with the transaction
    assert mod.read(sink, "read_committed") == [b"enriched order-1"]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("client", CLIENTS)
def test_a_transaction_open_past_its_timeout_is_aborted_and_fences_the_producer(example, txn_admin, client):
    mod = example(client)
    topic = kafkalab.new_topic(mod.BOOTSTRAP_SERVERS, "transactions-timeout")
    transactional_id = f"order-processor-{uuid.uuid4().hex[:8]}"
    if client.startswith("01"):
        config = {
            "bootstrap.servers": mod.BOOTSTRAP_SERVERS,
            **CONFLUENT_SECURITY,
            "transactional.id": transactional_id,
        }
        producer = Producer({**config, "transaction.timeout.ms": 2000})
        producer.init_transactions(30)
        producer.begin_transaction()
        producer.produce(topic, b"left open")
    else:
        producer = KafkaProducer(
            bootstrap_servers=mod.BOOTSTRAP_SERVERS,
            **KAFKA_PYTHON_SECURITY,
            transactional_id=transactional_id,
            transaction_timeout_ms=2000,
        )
        producer.init_transactions()
        producer.begin_transaction()
        producer.send(topic, b"left open")
    producer.flush(10)
    deadline = time.monotonic() + 60  # the coordinator looks for expired transactions every 10 s
    while (state := txn_admin.describe_transactions([transactional_id])[transactional_id]).state.value == "Ongoing":
        assert time.monotonic() < deadline, state
        time.sleep(0.5)

    assert state.state.value in ("PrepareAbort", "CompleteAbort")
    assert state.producer_epoch == 1  # the coordinator bumped the epoch when it aborted
    if client.startswith("01"):
        with pytest.raises(KafkaException) as raised:
            producer.commit_transaction(30)
        assert raised.value.args[0].code() == KafkaError._FENCED and raised.value.args[0].fatal()
        with pytest.raises(KafkaException) as again:
            producer.close()  # the fatal error, once more...
        assert again.value.args[0].code() == KafkaError._FENCED
        with pytest.raises(RuntimeError, match="Producer has been closed"):
            producer.produce(topic, b"after close")  # ...but the producer is closed
    else:
        with pytest.raises(ProducerFencedError):
            producer.commit_transaction()
        producer.close(timeout=10)
    assert mod.read(topic, "read_uncommitted") == [b"left open"]
    assert mod.read(topic, "read_committed", timeout=3) == []
