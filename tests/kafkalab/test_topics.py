"""kafkalab.topics: topics created with a chosen replica order, and partitions described as Kafka's
TopicCommand prints them (ELR and last known ELR included), parsed from output recorded in a fault run
(tests/kafkalab/recorded: replicas [3, 1, 2], followers 1 and 2 frozen, then leader 3 killed) and read
from the real cluster."""

from pathlib import Path

import pytest

from kafkalab import ClusterStateError
from kafkalab.topics import Described, describe, new_topics, parse_describe

RECORDED = Path(__file__).parent / "recorded"
OFF, ON, MIN2 = "rec-off-cc194180", "rec-on-f19fa6d6", "rec-min2-8e8d272f"


def recorded(moment: str) -> dict[str, list[Described]]:
    return parse_describe((RECORDED / f"topiccommand-{moment}.txt").read_text())


def test_a_healthy_partition_has_its_full_isr_and_no_elr():
    rows = recorded("healthy")
    assert sorted(rows) == sorted([OFF, ON, MIN2])
    assert rows[OFF] == [Described(OFF, 0, 3, [3, 1, 2], [3, 1, 2], [], [])]


def test_the_last_replica_to_leave_an_isr_below_min_insync_replicas_is_in_the_elr():
    rows = recorded("isr-leader-only")
    assert rows[OFF][0].isr == [3] and rows[OFF][0].elr == []  # min ISR 1: the ISR [3] still meets it
    assert rows[MIN2][0].isr == [3] and rows[MIN2][0].elr == [2]  # min ISR 2: broker 2 left last


def test_a_leaderless_partition_reads_leader_none_and_keeps_its_last_known_elr():
    rows = recorded("leader-dead")
    assert rows[OFF][0] == Described(OFF, 0, None, [3, 1, 2], [], [3], [3])
    assert str(rows[OFF][0]) == "Leader: none  Replicas: 3,1,2  Isr:   Elr: 3  LastKnownElr: 3"
    assert rows[ON][0].leader in (1, 2), "unclean election on: a follower leads"
    assert rows[MIN2][0].leader == 2, "elected from the ELR"


def test_lines_that_are_no_partition_are_passed_over():
    assert parse_describe("Topic: t\tTopicId: x\tPartitionCount: 1\nWARNING something\n\n") == {}


def test_a_replica_order_must_name_each_broker_once():
    with pytest.raises(ClusterStateError, match="name each broker once"):
        new_topics("127.0.0.1:1", "x", {"a": {}}, replicas=[1, 1, 2])


@pytest.mark.faults
def test_topics_are_created_in_the_order_given_and_described_alike(kafka_cluster):
    names = new_topics(
        kafka_cluster.bootstrap_servers, "topics-test", {"a": {}, "b": {"min.insync.replicas": "2"}}, [2, 3, 1]
    )
    assert set(names) == {"a", "b"} and names["a"].startswith("topics-test-a-")
    for name in names.values():
        state = kafka_cluster.partition(name)
        assert state.leader == 2 and state.replicas == [2, 3, 1]
    rows = describe(kafka_cluster, list(names.values()))
    assert {t: [(d.leader, d.replicas, sorted(d.isr), d.elr) for d in ds] for t, ds in rows.items()} == {
        name: [(2, [2, 3, 1], [1, 2, 3], [])] for name in names.values()
    }
    with pytest.raises(ClusterStateError, match="described no partition"):
        describe(kafka_cluster, ["no-such-topic-here"])
