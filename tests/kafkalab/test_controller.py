"""kafkalab.controller: the controller's decisions replayed from its metadata log, as DumpLogSegments decodes it.

tests/kafkalab/recorded/metadata-log.txt was recorded on a fresh cluster through one fault: three topics with
replicas [3, 1, 2] (unclean election off, unclean election on, min.insync.replicas=2); followers 1 and 2 frozen
until fenced, leader 3 killed, the followers resumed, broker 3 restarted."""

from pathlib import Path

import pytest

from kafkalab import controller

RECORDED = Path(__file__).parent / "recorded"
OFF, ON, MIN2 = "rec-off-cc194180", "rec-on-f19fa6d6", "rec-min2-8e8d272f"


@pytest.fixture(scope="module")
def history() -> controller.History:
    return controller.replay(controller.parse((RECORDED / "metadata-log.txt").read_text()))


def test_every_record_is_read_with_its_time():
    records = controller.parse((RECORDED / "metadata-log.txt").read_text())
    assert len(records) > 100 and all(at > 1.7e9 for at, _ in records)
    assert [at for at, _ in records] == sorted(at for at, _ in records), "in the order the controller wrote them"


def test_a_partition_change_names_only_what_changes_and_the_replay_fills_in_the_rest(history):
    off = history.of(OFF)
    assert (off[0].leader, off[0].isr) == (3, [3, 1, 2]), "created with the replica order asked for"
    assert [(c.leader, c.isr) for c in off[1:3]] == [(3, [3, 2]), (3, [3])], "the followers leave the ISR"
    assert (off[3].leader, off[3].isr, off[3].elr, off[3].last_known_elr) == (None, [], [3], [3])
    assert off[-1].leader == 3 and off[-1].isr == [1, 2, 3]


def test_the_leaderless_spell_runs_from_the_fence_of_the_dead_leader_to_its_return(history):
    fenced = [f.at for f in history.fencings if f.broker == 3 and f.fenced and not f.registration]
    spells = history.leaderless(OFF)
    assert len(spells) == 1 and spells[0][0] == fenced[-1]
    back = next(c for c in history.of(OFF) if c.at > spells[0][0] and c.leader is not None)
    assert spells[0][1] == back.at and back.recovering, "the last known leader, elected as an unclean change"
    assert history.unfenced_throughout([1, 2], *spells[0]), "although brokers 1 and 2 were registered"
    assert not history.unfenced_throughout([3], *spells[0])


def test_unclean_election_and_elr_elect_at_the_fence_of_the_dead_leader(history):
    spell_start = history.leaderless(OFF)[0][0]
    on, min2 = history.state_at(ON, 0, spell_start), history.state_at(MIN2, 0, spell_start)
    assert on.leader in (1, 2) and on.recovering, "unclean election on: a follower, at once"
    assert history.state_at(MIN2, 0, spell_start - 0.001).elr == [2], "min ISR 2: broker 2 left last"
    assert min2.leader == 2 and not min2.recovering, "elected from the ELR: a clean election"
    assert history.leaderless(ON) == [] and history.leaderless(MIN2) == []


def test_fencings_and_registrations(history):
    said = [f.describe() for f in history.fencings if f.at > history.of(OFF)[0].at]
    assert said == [
        "fences broker 1",
        "fences broker 2",
        "unfences broker 1",
        "unfences broker 2",
        "fences broker 3",
        "registers broker 3",
        "unfences broker 3",
    ]
    assert history.fenced(3, history.leaderless(OFF)[0][0]) and not history.fenced(1, history.leaderless(OFF)[0][0])
    assert history.state_at(OFF, 0, 0.0) is None, "before the topic existed"


def test_the_controllers_log_lines_about_one_partition_lose_their_noise(tmp_path, monkeypatch):
    log = tmp_path / "server.log"
    log.write_text(
        "[2026-12-01 18:03:37,024] INFO [QuorumController id=0] UNCLEAN partition change for t-0 with topic ID "
        "abc: leader: -1 -> 3, leaderEpoch: 1 -> 2 (org.apache.kafka.controller.ReplicationControlManager)\n"
        "[2026-12-01 18:03:38,000] INFO [QuorumController id=0] UNCLEAN partition change for t-01 with topic ID "
        "abd: leader: -1 -> 3 (org.apache.kafka.controller.ReplicationControlManager)\n"
    )

    class Node:
        log_path = log

    monkeypatch.setattr(controller, "controller_node", lambda cluster: Node)
    assert controller.log_lines(None, "t") == [
        "[2026-12-01 18:03:37,024] UNCLEAN partition change for t-0: leader: -1 -> 3, leaderEpoch: 1 -> 2"
    ]


@pytest.mark.faults
def test_the_real_controllers_history_has_a_new_topic(kafka_cluster, kafka_topic):
    changes = controller.history(kafka_cluster).of(kafka_topic)
    assert changes and changes[0].leader == kafka_cluster.leader(kafka_topic)
    assert sorted(changes[-1].isr) == sorted(kafka_cluster.partition(kafka_topic).replicas)
