# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 4: unclean leader election, or what happens when no in-sync replica is left
#
# A partition leader is normally chosen from the in-sync replicas (ISR): brokers that have every
# record the leader acknowledged. When the last in-sync replica dies, there are two choices:
#
# - **wait** until an in-sync replica comes back (`unclean.leader.election.enable=false`, the
#   default): the partition has no leader, so writes to it can only wait, but nothing
#   acknowledged is lost;
# - **elect an out-of-sync replica** (`unclean.leader.election.enable=true`): the partition is
#   back at once, without the records that only the dead leader had, even though they were
#   acknowledged.
#
# This lab makes the case happen deterministically and runs both settings side by side. It
# creates two topics with the same replicas in the same order (broker 3 leads, brokers 1 and 2
# follow), `min.insync.replicas=1`, and `unclean.leader.election.enable` on for one and off for
# the other. Then, for both at once:
#
# 1. produce 5 records with `acks=all` while all three replicas are in sync (`replicated-*`);
# 2. freeze both followers (SIGSTOP) and wait until the controller has fenced them (4 s without
#    a heartbeat) and the ISR is only the leader;
# 3. produce 5 more records with `acks=all` (`leader-only-*`). The ISR is the leader alone, which
#    is enough for `min.insync.replicas=1`, so they are acknowledged, and exist on broker 3 only;
# 4. kill the leader (SIGKILL) and thaw the followers;
# 5. watch what the controller does with each topic, then restart the old leader.
#
# Every picture and number below comes from this run, on the lab cluster (3 brokers and a
# dedicated controller), through `kafkalab`.
#
# This lab reproduces a story told on a guide page; read it there first:
# [min.insync.replicas](../../guarantees/min-insync-replicas/).

# %%
import re
import subprocess
import time
import uuid

import matplotlib.pyplot as plt
from confluent_kafka import ElectionType, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from tqdm import tqdm  # plain text bars: the rendered labs have no widgets

from kafkalab import Cluster
from kafkalab.lab import LeaderWatch, Timeline, wait_until
from kafkalab.lab import read_partition as read_messages
from kafkalab.runtime import java_executable, resolved

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
BOOTSTRAP = cluster.bootstrap_servers
BROKERS = sorted(n.spec.node_id for n in cluster.brokers)
LEADER, FOLLOWERS = BROKERS[-1], BROKERS[:-1]  # replicas [3, 1, 2]: broker 3 leads both topics
CONTROLLER = next(n for n in cluster.nodes if not n.spec.is_broker)
ELR = cluster.elr  # how kafkalab formatted the cluster (KIP-966 on unless `kafkalab up --no-elr`)
print(f"Apache Kafka {cluster.version} at {BOOTSTRAP}; Eligible Leader Replicas {'on' if ELR else 'off'}")
print(f"both topics: replicas {[LEADER, *FOLLOWERS]}, so broker {LEADER} leads and {FOLLOWERS} follow")

setup_admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
broker_config = setup_admin.describe_configs([ConfigResource(ConfigResource.Type.BROKER, str(LEADER))])
default_unclean = next(iter(broker_config.values())).result(timeout=10)["unclean.leader.election.enable"]
print(
    f"broker default: unclean.leader.election.enable={default_unclean.value} (is_default={default_unclean.is_default})"
)
assert default_unclean.value == "false", "Kafka's default: never elect an out-of-sync replica"

# %% [markdown]
# Helpers: create the two topics with a fixed replica order, read a partition from the
# beginning, describe partitions with Kafka's own `TopicCommand` (the Python clients do not report
# Eligible Leader Replicas, see below), and pick the controller's log lines about a partition.


# %%
def create_topics(run: str) -> dict[bool, str]:
    """Two topics, replicas [leader, follower, follower], min ISR 1, unclean election on / off."""
    names = {unclean: f"lab4-{run}-unclean-{'on' if unclean else 'off'}" for unclean in (True, False)}
    topics = [
        NewTopic(
            name,
            num_partitions=1,  # librdkafka wants the count with an assignment, not the -1 its docstring says
            replica_assignment=[[LEADER, *FOLLOWERS]],
            config={"min.insync.replicas": "1", "unclean.leader.election.enable": str(unclean).lower()},
        )
        for unclean, name in names.items()
    ]
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    for future in admin.create_topics(topics, request_timeout=30).values():
        future.result(timeout=30)
    cluster.admin().await_healthy(list(names.values()), time.monotonic() + 30)
    return names


def read_partition(topic: str, timeout: float = 10.0) -> list[tuple[int, bytes]]:
    """Every (offset, value) a consumer can read from partition 0, from the beginning."""

    def attempt() -> list[list[tuple[int, bytes]]] | None:
        try:  # right after an election a broker may still answer from older metadata: NOT_LEADER, ask again
            return [[(msg.offset(), msg.value()) for msg in read_messages(BOOTSTRAP, topic, timeout=timeout)]]
        except KafkaException:
            return None

    return wait_until(attempt, timeout, f"the records of {topic}")[0]


TOOLS = resolved().classpath("tools")


def describe(topics: list[str]) -> dict[str, dict[str, str]]:
    """Leader, Isr, Elr and LastKnownElr of partition 0 of each topic, as TopicCommand prints them."""
    live = ",".join(f"127.0.0.1:{n.spec.client_port}" for n in cluster.brokers if n.state() == "running")
    command = [java_executable(), "-cp", TOOLS, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", live]
    out = subprocess.run(
        [*command, "--describe", "--topic", "|".join(topics)], capture_output=True, text=True, timeout=60, check=True
    )
    states = {}
    for line in out.stdout.splitlines():
        fields = dict(f.partition(":")[::2] for f in line.strip().split("\t"))
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        if fields.get("Partition") == "0":
            states[fields["Topic"]] = {k: fields.get(k, "?") for k in ("Leader", "Isr", "Elr", "LastKnownElr")}
    return states


def controller_log(topic: str) -> list[str]:
    """The controller's INFO lines about changes of partition 0 of the topic (unclean ones are logged)."""
    lines = CONTROLLER.log_path.read_text(errors="replace").splitlines()
    wanted = [line for line in lines if f"partition change for {topic}-0 " in line]
    return [
        re.sub(r" INFO \[QuorumController id=\d+\]| with topic ID [^:\s]+|\s*\(org\.apache.*$", "", x) for x in wanted
    ]


# %% [markdown]
# The experiment. One producer (`acks=all`, idempotence off: lab 2 is about idempotence) writes to
# both topics; a second producer with a 3 s delivery timeout tries to write to the leaderless
# topic. Both topics get their own timeline, and the faults are recorded on both. The cluster is
# restored in a `finally` block, so a failure never leaves brokers frozen or dead.


# %%
def experiment() -> dict:
    topics = create_topics(uuid.uuid4().hex[:8])
    on, off = topics[True], topics[False]
    started = time.time()
    timelines = {
        on: Timeline("unclean.leader.election.enable=true", started=started),
        off: Timeline("unclean.leader.election.enable=false", started=started),
    }

    def everywhere(lane: str, what: str, detail: str = "") -> None:
        at = time.time()
        for timeline in timelines.values():
            timeline.record(lane, what, detail, at=at)

    def note_elr(states: dict[str, dict[str, str]]) -> None:
        for topic, state in states.items():
            timelines[topic].record("TopicCommand", "described", f"ISR [{state['Isr']}], ELR [{state['Elr']}]")

    producer = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all", "enable.idempotence": False, "linger.ms": 0})

    def send(topic: str, values: list[bytes]) -> list[tuple]:
        reports: list[tuple] = []
        for value in values:
            producer.produce(
                topic, value, on_delivery=lambda err, msg: reports.append((err, msg.offset(), msg.value()))
            )
        producer.flush(15)
        good = [r for r in reports if r[0] is None]
        detail = f"offsets {good[0][1]}-{good[-1][1]}" if good else f"errors {[r[0] for r in reports]}"
        timelines[topic].record("producer", f"{len(good)}/{len(values)} acknowledged", detail)
        return reports

    result: dict = {"on": on, "off": off, "timelines": timelines, "elr": {}}
    result["before"] = {t: cluster.partition(t) for t in (on, off)}
    batch1 = [f"replicated-{i}".encode() for i in range(5)]
    batch2 = [f"leader-only-{i}".encode() for i in range(5)]
    steps = tqdm(total=9, desc="unclean on/off, side by side")
    try:
        with LeaderWatch(cluster, on, timelines[on]), LeaderWatch(cluster, off, timelines[off]):
            result["batch1"] = {t: send(t, batch1) for t in (on, off)}
            steps.update()

            for f in FOLLOWERS:
                cluster.pause(f)
                everywhere(f"broker {f}", "paused (SIGSTOP)")
            wait_until(lambda: all(cluster.isr(t) == [LEADER] for t in (on, off)), 20, "ISR = [leader]", 0.2)
            result["elr"]["ISR = [leader]"] = describe([on, off])
            note_elr(result["elr"]["ISR = [leader]"])
            steps.update()

            result["batch2"] = {t: send(t, batch2) for t in (on, off)}
            steps.update()

            cluster.kill(LEADER)
            everywhere(f"broker {LEADER}", "killed (SIGKILL)")
            for f in FOLLOWERS:
                cluster.resume(f)
                everywhere(f"broker {f}", "resumed (SIGCONT)")
            resumed = time.monotonic()
            wait_until(lambda: cluster.leader(off) is None, 20, "the dead leader fenced")

            def follower_leads() -> int | None:
                leader = cluster.leader(on)
                return leader if leader in FOLLOWERS else None

            try:
                result["new_leader"] = wait_until(follower_leads, 10, "an unclean election")
                result["elected_by"] = "the controller, on its own"
            except TimeoutError:
                admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
                admin.elect_leaders(ElectionType.UNCLEAN, [TopicPartition(on, 0)]).result(timeout=15)
                timelines[on].record("admin", "elect_leaders(UNCLEAN)")
                result["new_leader"] = wait_until(follower_leads, 10, "an unclean election")
                result["elected_by"] = "AdminClient.elect_leaders(ElectionType.UNCLEAN)"
            timelines[on].record("controller", "follower elected", f"broker {result['new_leader']} leads")
            steps.update()

            # the leaderless topic: a write with a 3 s delivery timeout
            impatient = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all", "delivery.timeout.ms": 3000})
            attempt: list = []
            timelines[off].record("producer", "produce while-leaderless", "delivery.timeout.ms=3000")
            impatient.produce(off, b"while-leaderless", on_delivery=lambda err, msg: attempt.append(err))
            wait_until(lambda: impatient.poll(0.1) >= 0 and attempt, 10, "the delivery report")
            result["leaderless_attempt"] = attempt[0]
            what = "acknowledged" if attempt[0] is None else f"failed: {attempt[0].name()}"
            timelines[off].record("producer", what)
            # the unclean topic takes writes again, at the offsets the lost records had
            result["after_election"] = send(on, [b"after-election"])
            result["elr"]["outage"] = describe([on, off])
            note_elr(result["elr"]["outage"])
            steps.update()

            time.sleep(max(0.0, resumed + 8 - time.monotonic()))
            result["leaderless_check"] = (cluster.leader(off), time.monotonic() - resumed)
            timelines[off].record(
                "controller", "still no leader", f"{result['leaderless_check'][1]:.0f} s after resume"
            )
            everywhere(f"broker {LEADER}", "restarting")
            cluster.start(LEADER)
            everywhere(f"broker {LEADER}", "registered again")
            steps.update()

            wait_until(lambda: cluster.leader(off) == LEADER, 30, "the old leader leads the clean topic again")
            result["after_return"] = send(off, [b"after-return"])
            wait_until(lambda: all(len(cluster.isr(t)) == 3 for t in (on, off)), 30, "full ISRs")
            steps.update()

            # make the old leader lead the unclean topic again: read what *it* has now
            admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
            admin.elect_leaders(ElectionType.PREFERRED, [TopicPartition(on, 0)]).result(timeout=15)
            wait_until(lambda: cluster.leader(on) == LEADER, 15, "preferred leader back")
            timelines[on].record("admin", "elect_leaders(PREFERRED)", f"broker {LEADER} leads again")
            result["records"] = {t: read_partition(t) for t in (on, off)}
            for t in (on, off):
                values = [v.decode() for _, v in result["records"][t]]
                timelines[t].record("consumer", f"read back {len(values)} records", f"from broker {LEADER}")
            steps.update()
    finally:
        cluster.wait_healthy(timeout=60)
        steps.update()
        steps.close()
    result["after"] = {t: cluster.partition(t) for t in (on, off)}
    result["controller_log"] = {t: controller_log(t) for t in (on, off)}
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    for future in admin.delete_topics([on, off], request_timeout=15).values():
        future.result(timeout=15)
    return result


run = experiment()
ON, OFF = run["on"], run["off"]


# %% [markdown]
# ## Eligible Leader Replicas (KIP-966)
#
# Clusters formatted by Kafka 4.1 or later have Eligible Leader Replicas (ELR) on, and so does the
# lab cluster unless it was started with `kafkalab up --no-elr` (the first cell says which). When
# the ISR shrinks **below** `min.insync.replicas`, the replicas that leave it become ELR members:
# still safe to elect, because they had every record acknowledged under that min ISR. With
# `min.insync.replicas=1` and ISR = [leader], the ISR is not below min ISR, so the ELR should be
# empty before the kill. The Python clients do not report ELR; Kafka's `TopicCommand` does:

# %%
for moment, states in run["elr"].items():
    for topic, state in states.items():
        label = "on " if topic == ON else "off"
        print(f"{moment:<15} unclean {label}: {state}")
print("unclean election done by:", run["elected_by"])

# %% [markdown]
# What that shows:
#
# - With ISR = [leader] the ELR is empty for both topics, as expected.
# - During the outage the two topics differ. On the `unclean on` topic, the controller fenced the
#   dead leader and, in the same metadata change, elected a follower uncleanly: its ISR is the new
#   leader (plus the other follower as soon as it catches up), its ELR empty.
# - On the `unclean off` topic, with ELR on, the leader's fence left an **empty ISR**, which is
#   below min ISR 1, so the dead leader moved into the ELR (and `LastKnownElr`). With ELR off
#   (`kafkalab up --no-elr`) the same notebook shows the ISR staying `[3]` instead: without ELR,
#   KRaft keeps the last in-sync replica in the ISR of a leaderless partition.
#
# In the runs behind this page the unclean election happened by itself, in the controller's
# handling of the leader's fence (about 4 s after the kill). The notebook would fall back to
# `AdminClient.elect_leaders(ElectionType.UNCLEAN, ...)` (available in confluent-kafka 2.16) only
# if no follower led within 10 s, and the line above says which one happened.

# %%
assert all(not s["Elr"] for s in run["elr"]["ISR = [leader]"].values()), "min ISR 1 met: ELR empty"
outage_on, outage_off = run["elr"]["outage"][ON], run["elr"]["outage"][OFF]
assert outage_on["Elr"] == "" and outage_on["Leader"] == str(run["new_leader"])
assert outage_off["Leader"] == "none"
if ELR:
    assert outage_off["Isr"] == "" and outage_off["Elr"] == str(LEADER), "the dead leader is the only eligible one"
else:
    assert outage_off["Isr"] == str(LEADER) and outage_off["Elr"] == "", "without ELR the ISR keeps the dead leader"

# %% [markdown]
# ## `unclean.leader.election.enable=true`: the partition comes back without acknowledged records

# %%
on_before, on_after = run["before"][ON], run["after"][ON]
print(f"before: leader {on_before.leader}, ISR {on_before.isr}")
print(f"after:  leader {on_after.leader}, ISR {on_after.isr}")
acked2 = [(off_, v.decode()) for err, off_, v in run["batch2"][ON] if err is None]
print(f"acknowledged by broker {LEADER} alone: {acked2}")
print(f"new leader: broker {run['new_leader']} (elected by {run['elected_by']})")
err, offset, _ = run["after_election"][0]
print(f"'after-election' written to the new leader: error={err}, offset {offset}")
print("what a consumer reads now, from broker", LEADER, ":", [(o, v.decode()) for o, v in run["records"][ON]])
print("controller log:", *run["controller_log"][ON], sep="\n  ")
print(run["timelines"][ON].text())
run["timelines"][ON].plot()
plt.show()

# %% [markdown]
# Every `leader-only-*` record was acknowledged (`acks=all`, ISR = [leader] satisfies min ISR 1)
# and every one is gone. The follower that became leader never had them; its log ended after
# `replicated-4`, so the next write, `after-election`, got the offset the first lost record had
# been acknowledged at: the same offset now names a different record. When broker 3 came back it
# truncated its log to the new leader's (it follows the leader epoch history, not its own
# longer log), so after the preferred election put broker 3 back in charge the records are not
# there either. The controller logs the election as `UNCLEAN partition change` and sets
# `leaderRecoveryState` to `RECOVERING` for the new leader.
#
# If the timeline shows `leader broker 3, ISR [3, 1, 2]` just after the thaw, that is not the
# cluster going back in time: a follower that was frozen answered a metadata request from the
# cache it had before the freeze, for a fraction of a second.

# %%
batch1_on, batch2_on = run["batch1"][ON], run["batch2"][ON]
assert all(err is None for err, _, _ in batch1_on + batch2_on), "both batches were acknowledged"
assert run["new_leader"] in FOLLOWERS
read_on = [v for _, v in run["records"][ON]]
assert all(v in read_on for _, _, v in batch1_on), "the replicated batch is intact"
assert not any(v in read_on for _, _, v in batch2_on), "every acknowledged leader-only record is gone"
assert run["after_election"][0][0] is None and run["after_election"][0][1] == batch2_on[0][1], "offset reused"
assert on_after.leader == LEADER and sorted(on_after.isr) == BROKERS, "read from the old leader, fully in sync"
assert any(
    "UNCLEAN partition change" in line and f"leader: {LEADER} -> {run['new_leader']}" in line
    for line in run["controller_log"][ON]
)

# %% [markdown]
# ## `unclean.leader.election.enable=false`: no leader until the old leader returns

# %%
off_before, off_after = run["before"][OFF], run["after"][OFF]
print(f"before: leader {off_before.leader}, ISR {off_before.isr}")
leader_then, seconds = run["leaderless_check"]
print(f"{seconds:.0f} s after the followers resumed (brokers 1 and 2 up and registered): leader {leader_then}")
attempt = run["leaderless_attempt"]
print(f"write while leaderless: {attempt.name() if attempt else None} ({attempt.str() if attempt else ''})")
print(f"after:  leader {off_after.leader}, ISR {off_after.isr}")
print("what a consumer reads now:", [(o, v.decode()) for o, v in run["records"][OFF]])
print("controller log:", *run["controller_log"][OFF], sep="\n  ")
print(run["timelines"][OFF].text())
run["timelines"][OFF].plot()
plt.show()

# %% [markdown]
# Brokers 1 and 2 were back and healthy, yet the topic had no leader: neither was in the ISR (or
# the ELR), and the topic forbids electing them. A producer can only wait; with a 3 s delivery
# timeout it got `_MSG_TIMED_OUT`, librdkafka's local error for a record it could not deliver in
# time (there was no leader to send it to, and it is not in the log afterwards). When broker 3
# restarted it led again, and every acknowledged record was there.
#
# With ELR on, the way back is not the classic one, though the outcome is the same. Broker 3 died
# by SIGKILL, so it registered again after an *unclean shutdown*, and the controller drops such a
# broker from the ELR: Kafka does not fsync every write, so a broker that crashed may have lost
# its newest records. With ISR and ELR both empty, the controller then elects the partition's last
# known leader (`LastKnownElr`, KIP-966), and logs it as an `UNCLEAN partition change` with
# `leaderRecoveryState: RECOVERING`, although this topic disables unclean election. Here nothing
# was lost, because only the process died: the page cache kept every record. Had the machine
# lost power, this election would bring back whatever broker 3 had on disk. With ELR off the
# controller simply re-elects broker 3 from the ISR `[3]` it kept, and logs nothing at INFO.

# %%
batch1_off, batch2_off = run["batch1"][OFF], run["batch2"][OFF]
assert all(err is None for err, _, _ in batch1_off + batch2_off), "both batches were acknowledged"
assert leader_then is None and seconds >= 8, "no leader while only out-of-sync replicas are alive"
leader_events = [e for e in run["timelines"][OFF].sorted() if e.lane == "controller" and e.what.startswith("leader")]
fenced = next(i for i, e in enumerate(leader_events) if e.what == "leader none")
restart_at = next(e.at for e in run["timelines"][OFF].sorted() if e.what == "restarting")
assert all(e.what == "leader none" for e in leader_events[fenced:] if e.at < restart_at), "no leader in between"
assert attempt is not None and attempt.code() == KafkaError._MSG_TIMED_OUT, "the write waited, then timed out"
read_off = [v for _, v in run["records"][OFF]]
acked_off = [v for err, _, v in batch1_off + batch2_off + run["after_return"] if err is None]
assert read_off == acked_off, "every acknowledged record is there, once, in order"
assert b"while-leaderless" not in read_off
assert off_after.leader == LEADER and sorted(off_after.isr) == BROKERS
unclean_off = [line for line in run["controller_log"][OFF] if "UNCLEAN partition change" in line]
if ELR:
    back = f"leader: -1 -> {LEADER}", f"lastKnownElr: [{LEADER}] -> []"
    assert len(unclean_off) == 1 and all(part in unclean_off[0] for part in back), "the last-known-leader election"
else:
    assert unclean_off == [], "without ELR the old leader is re-elected cleanly, from the ISR"
