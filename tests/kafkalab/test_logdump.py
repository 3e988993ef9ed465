"""kafkalab.logdump: batches as stored (producer id, epoch, sequence), parsed from DumpLogSegments output
recorded in a lab 8 run, and read from the real cluster; and how the soak run classifies duplicates."""

import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer

from kafkalab import soak
from kafkalab.checker import Report
from kafkalab.lab import Timeline
from kafkalab.logdump import Batch, parse, stored_batches

# Four batches of one partition after librdkafka bumped its idempotent producer's epoch: the batch at
# 488-489 (epoch 0, sequence 488) was written again at 490-491 (epoch 1, sequence 0).
RECORDED = (Path(__file__).parent / "dumps" / "epoch-bump.txt").read_text()


def test_parse_reads_every_batch_with_its_producer_identity():
    batches = parse(RECORDED)
    assert [(b.base_offset, b.last_offset) for b in batches] == [(485, 487), (488, 489), (490, 491), (492, 493)]
    assert batches[1] == Batch(488, 489, 488, 8008, 0, 1)
    assert batches[2] == Batch(490, 491, 0, 8008, 1, 2)
    assert batches[1].holds(489) and not batches[1].holds(490)


def _result(copies: dict) -> soak.SoakResult:
    report = Report(acknowledged=2, consumed=2 + len(copies), duplicated=sorted(copies))
    return soak.SoakResult("strong", "t", report, [], 0.0, Timeline(), copies)


def test_a_copy_under_a_new_epoch_is_an_epoch_bump_duplicate():
    first, again = parse(RECORDED)[1:3]
    result = _result({("k52", 25): [first, again]})
    assert result.epoch_bump_duplicates == [("k52", 25)]
    assert result.unexplained_duplicates == []


@pytest.mark.parametrize(
    "copies",
    [
        [Batch(10, 10, 10, 7, 0, 1), Batch(11, 11, 11, 7, 0, 1)],  # one epoch: idempotence failed
        [Batch(10, 10, -1, -1, -1, 1), Batch(11, 11, -1, -1, -1, 1)],  # no producer id at all
        [Batch(10, 10, 10, 7, 0, 1), Batch(11, 11, 0, 8, 0, 1)],  # two producers
    ],
)
def test_other_duplicates_stay_unexplained(copies):
    result = _result({("k1", 3): copies})
    assert result.epoch_bump_duplicates == []
    assert result.unexplained_duplicates == [("k1", 3)]


@pytest.mark.parametrize(("idempotent", "identified"), [(True, True), (False, False)])
def test_stored_batches_on_the_real_cluster(kafka_cluster, idempotent, identified):
    topic = f"logdump-{uuid.uuid4().hex[:8]}"
    kafka_cluster.create_topic(topic)
    producer = Producer({"bootstrap.servers": kafka_cluster.bootstrap_servers, "enable.idempotence": idempotent})
    for i in range(3):
        producer.produce(topic, f"r{i}".encode())
        producer.flush(10)  # one batch each
    assert producer.flush(10) == 0
    batches = stored_batches(kafka_cluster, topic)
    assert [(b.base_offset, b.last_offset) for b in batches] == [(0, 0), (1, 1), (2, 2)]
    if identified:
        assert len({b.producer_id for b in batches}) == 1 and batches[0].producer_id >= 0
        assert [(b.producer_epoch, b.base_sequence) for b in batches] == [(0, 0), (0, 1), (0, 2)]
    else:
        assert {(b.producer_id, b.base_sequence) for b in batches} == {(-1, -1)}
