"""kafkalab.watch: the live view's rules, replayed on metadata answers recorded through a fault (no broker),
and the whole watch on the real cluster, where the controller's record is what goes on the timeline.

Both recordings (tests/kafkalab/recorded/answers-*.json) are of the same fault: replicas [3, 1, 2], followers
1 and 2 frozen until fenced, leader 3 killed, the followers resumed, broker 3 restarted about 9 s later.
answers-every-broker.json asked every broker through one long-lived client, as the watch used to: it holds a
follower's answer from before the freeze, given right after the thaw. answers-watch.json is this watch's own
poll (it asks only the brokers it trusts)."""

import json
import time
from pathlib import Path

import pytest

from kafkalab.lab import Timeline
from kafkalab.watch import Answer, PartitionWatch, View, Views

RECORDED = Path(__file__).parent / "recorded"


def replay(name: str) -> tuple[dict, Views, list[tuple[float, dict, View | None]]]:
    """Feed a recorded poll sequence to the rules; returns the recording, the rules and what the view was
    for the unclean-off topic after each poll."""
    data = json.loads((RECORDED / name).read_text())
    key = (data["topics"]["off"], 0)
    views, seen = Views([key]), []
    for poll in data["polls"]:
        nodes = {int(b): (state, pid) for b, (state, pid) in poll["nodes"].items()}
        a = poll["answer"]
        answer = (
            None
            if a is None
            else Answer(a["broker"], {(t, p): (lead, isr, e) for t, p, lead, isr, e in a["partitions"]})
        )
        views.observe(poll["at"], nodes, answer)
        seen.append((poll["at"], nodes, views.views.get(key)))
    return data, views, seen


def dead_spell(seen) -> tuple[float, float]:
    """From the first poll that found broker 3's process dead to the first that found it running again."""
    dead = [at for at, nodes, _ in seen if nodes[3][0] == "dead"]
    back = next(at for at, nodes, _ in seen if at > dead[0] and nodes[3][0] == "running")
    return dead[0], back


@pytest.mark.parametrize("recording", ["answers-every-broker.json", "answers-watch.json"])
def test_no_leader_from_the_moment_the_leaders_process_is_dead_until_it_leads_again(recording):
    _, _, seen = replay(recording)
    died, restarted = dead_spell(seen)
    during = [view for at, _, view in seen if died <= at < restarted]
    assert during and all(view.leader is None for view in during), "never a leader in between"
    assert during[0].why == "broker 3 is down" and during[0].inferred, "at once: the answers still named broker 3"
    assert any(view.why == "LEADER_NOT_AVAILABLE" for view in during), "then the brokers said so themselves"
    assert seen[-1][2].leader == 3, "broker 3 leads again after its restart"


def test_an_answer_from_a_broker_thawed_a_moment_ago_is_not_trusted():
    data = json.loads((RECORDED / "answers-every-broker.json").read_text())
    topic = data["topics"]["off"]
    resumed = next(at for at, w in data["marks"] if w == "resumed 1 2")
    stale = next(p for p in data["polls"] if p["answer"] and p["at"] > resumed)
    assert stale["answer"]["partitions"][0][2:4] == [3, [3, 1, 2]], "the ISR from before the freeze"
    assert stale["answer"]["broker"] == 1 and stale["at"] - resumed < 2.0
    answer = Answer(1, {(topic, 0): (3, [3, 1, 2], None)})
    for settle, isr in ((2.0, [3]), (0.0, [3, 1, 2])):  # the watch's rule, and a poll that trusts every answer
        views = Views([(topic, 0)], settle=settle)
        views.observe(resumed - 5, {1: ("running", 1), 2: ("running", 2), 3: ("running", 3)}, None)
        views.observe(
            resumed - 1,
            {1: ("paused", 1), 2: ("paused", 2), 3: ("running", 3)},
            Answer(3, {(topic, 0): (3, [3], None)}),
        )
        views.observe(resumed, {1: ("running", 1), 2: ("running", 2), 3: ("running", 3)}, None)
        views.observe(stale["at"], {1: ("running", 1), 2: ("running", 2), 3: ("running", 3)}, answer)
        assert views.views[(topic, 0)].isr == isr


def test_a_broker_counts_as_trusted_only_once_settled():
    views = Views([("t", 0)], settle=2.0)
    views.observe(100.0, {1: ("running", 11), 2: ("paused", 12)}, None)
    assert views.trusted(100.0) == {1}, "running when the watch began: trusted at once"
    views.observe(101.0, {1: ("running", 11), 2: ("running", 12)}, None)
    assert views.trusted(102.9) == {1} and views.trusted(103.0) == {1, 2}
    views.observe(104.0, {1: ("running", 99), 2: ("running", 12)}, None)  # restarted between two polls
    assert views.trusted(104.0) == {2}


@pytest.mark.parametrize(
    ("partitions", "why"),
    [
        ({("t", 0): (-1, [], "LEADER_NOT_AVAILABLE")}, "LEADER_NOT_AVAILABLE"),
        ({("t", 0): (-1, [2], None)}, "no leader"),
        ({}, "not in the answer"),
        ({("t", 0): (1, [1], "UNKNOWN_TOPIC_OR_PART")}, "UNKNOWN_TOPIC_OR_PART"),
    ],
)
def test_an_answer_without_a_leader_or_with_an_error_is_leaderless(partitions, why):
    views = Views([("t", 0)])
    views.observe(1.0, {1: ("running", 1), 2: ("running", 2)}, Answer(1, {("t", 0): (2, [2, 1], None)}))
    views.observe(2.0, {1: ("running", 1), 2: ("running", 2)}, Answer(1, partitions))
    assert views.views[("t", 0)] == View(None, views.views[("t", 0)].isr, why)
    assert [view.leader for _, _, view in views.changes] == [2, None]


def test_a_follower_offline_is_no_reason_to_doubt_the_leader():
    views = Views([("t", 0)])
    views.observe(1.0, {1: ("running", 1)}, Answer(1, {("t", 0): (1, [1], "REPLICA_NOT_AVAILABLE")}))
    assert views.views[("t", 0)] == View(1, [1])


@pytest.mark.faults
def test_the_watch_records_the_controllers_leaderless_spell_on_the_real_cluster(kafka_cluster):
    from kafkalab.topics import new_topics

    topic = new_topics(kafka_cluster.bootstrap_servers, "watch-test", {"t": {}}, [3, 1, 2])["t"]
    timeline = Timeline("watch")
    try:
        with PartitionWatch(kafka_cluster, timeline, {"partition": topic}, fences="controller") as watch:
            assert watch.wait_for(topic, lambda v: v.leader == 3, 10, "leader 3").isr == [3, 1, 2]
            for follower in (1, 2):
                kafka_cluster.pause(follower)
            watch.wait_for(topic, lambda v: v.isr == [3], 20, "the followers fenced")
            kafka_cluster.kill(3)
            for follower in (1, 2):
                kafka_cluster.resume(follower)
            assert watch.wait_for(topic, lambda v: v.leader is None, 2, "leaderless at once").why == "broker 3 is down"
            watch.wait_for(topic, lambda v: v.why == "LEADER_NOT_AVAILABLE", 20, "the fence of broker 3")
            killed_for = time.time()
            kafka_cluster.start(3)
            watch.wait_for(topic, lambda v: v.leader == 3, 30, "broker 3 back")
    finally:
        kafka_cluster.wait_healthy(timeout=60)
    spells = watch.history.leaderless(topic)
    assert len(spells) == 1 and spells[0][0] < killed_for < spells[0][1]
    events = [(e.lane, e.what) for e in timeline.sorted()]
    assert events[0] == ("partition", "leader broker 3")
    assert ("controller", "fences broker 3") in events and ("partition", "leader none") in events
    leaders = [what for lane, what in events if lane == "partition"]
    assert leaders[leaders.index("leader none") :].count("leader broker 3") >= 1
