"""Each client writes one record and reads back exactly that record, at the position the producer was told."""

import pytest


@pytest.mark.parametrize("filename", ["01_confluent_kafka.py", "02_kafka_python.py"])
def test_one_message_round_trip(example, kafka_topic, filename):
    result = example(filename).main(kafka_topic)

    assert result["sent"] == {"partition": 0, "offset": 0}  # a fresh one-partition topic starts at offset 0
    received = result["received"]
    assert (received["partition"], received["offset"]) == (result["sent"]["partition"], result["sent"]["offset"])
    assert received["key"] == b"greeting"
    assert received["value"] == b"hello, kafka"


@pytest.mark.parametrize("filename", ["01_confluent_kafka.py", "02_kafka_python.py"])
def test_main_creates_its_own_topic(example, filename):
    result = example(filename).main()
    assert result["received"]["value"] == b"hello, kafka"
