"""The performance page's fastest loop delivers every record, once and in order."""

from kafkalab.lab import read_partition


def test_fast_loop_delivers_every_record_once_in_order(example, kafka_bootstrap):
    result = example("01_fast_loop_confluent_kafka.py").main(records=20_000)

    assert result["remaining"] == 0
    assert result["failed"] == []
    assert result["delivered"] == 20_000
    stored = read_partition(kafka_bootstrap, result["topic"], timeout=30)
    assert [m.value() for m in stored] == result["values"]
    assert [m.offset() for m in stored] == list(range(20_000))
