"""Each client writes one record and reads back exactly that record, at the position the producer was told."""

import re
import uuid

import pytest
from confluent_kafka import Producer

import kafkalab
from kafkalab.lab import wait_until, watermarks

SECURITY = kafkalab.client_settings("confluent-kafka")


@pytest.mark.parametrize("filename", ["01_confluent_kafka.py", "02_kafka_python.py"])
def test_one_message_round_trip(example, kafka_topic, filename):
    result = example(filename).main(kafka_topic)

    assert result["sent"] == {"partition": 0, "offset": 0}  # a fresh one-partition topic starts at offset 0
    received = result["received"]
    assert (received["partition"], received["offset"]) == (result["sent"]["partition"], result["sent"]["offset"])
    assert received["key"] == b"greeting"
    assert received["value"] == b"hello, kafka"


@pytest.mark.parametrize("filename", ["01_confluent_kafka.py", "02_kafka_python.py"])
def test_main_creates_its_own_topic_and_prints_what_the_page_shows(example, filename, capsys):
    result = example(filename).main()
    assert result["received"]["value"] == b"hello, kafka"
    assert re.fullmatch(
        r"written to first-message-[0-9a-f]{8} partition 0 at offset 0\n"
        r"read b'greeting' -> b'hello, kafka' from offset 0\n",
        capsys.readouterr().out,
    )


def test_a_commit_marker_takes_an_offset(kafka_topic, kafka_bootstrap):
    """Offsets count records, and also the control record that commits a transaction."""
    offsets = []

    def note(err, msg):
        assert err is None, err
        offsets.append(msg.offset())

    transactional = Producer(
        {"bootstrap.servers": kafka_bootstrap, **SECURITY, "transactional.id": f"first-{uuid.uuid4()}"}
    )
    transactional.init_transactions(30)
    transactional.begin_transaction()
    transactional.produce(kafka_topic, b"in a transaction", on_delivery=note)
    transactional.commit_transaction(30)
    # commit_transaction() returns once the commit is decided; the coordinator writes the marker after that
    wait_until(lambda: watermarks(kafka_bootstrap, kafka_topic) == (0, 2), 15, "the commit marker at offset 1")
    plain = Producer({"bootstrap.servers": kafka_bootstrap, **SECURITY})
    for value in (b"after it", b"and the next"):
        plain.produce(kafka_topic, value, on_delivery=note)
    assert plain.flush(10) == 0
    assert offsets == [0, 2, 3]  # offset 1 is the commit marker
