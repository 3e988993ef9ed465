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
#
# ## Set up

# %%
import time

from confluent_kafka import ElectionType, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from kafkalab import Cluster, client_settings, controller
from kafkalab.faults import Faults
from kafkalab.lab import Timeline, read_partition, wait_until
from kafkalab.recorders import Deliveries
from kafkalab.topics import describe, new_topics
from kafkalab.watch import PartitionWatch

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
BOOTSTRAP = cluster.bootstrap_servers
SECURITY = client_settings("confluent-kafka")
BROKERS = sorted(n.spec.node_id for n in cluster.brokers)
LEADER, FOLLOWERS = BROKERS[-1], BROKERS[:-1]  # replicas [3, 1, 2]: broker 3 leads both topics
ELR = cluster.elr  # how kafkalab formatted the cluster (KIP-966 on unless `kafkalab up --no-elr`)
print(f"Apache Kafka {cluster.version} at {BOOTSTRAP}; Eligible Leader Replicas {'on' if ELR else 'off'}")
print(f"both topics: replicas {[LEADER, *FOLLOWERS]}, so broker {LEADER} leads and {FOLLOWERS} follow")

admin = AdminClient({"bootstrap.servers": BOOTSTRAP, **SECURITY})
broker_config = admin.describe_configs([ConfigResource(ConfigResource.Type.BROKER, str(LEADER))])
default_unclean = next(iter(broker_config.values())).result(timeout=10)["unclean.leader.election.enable"]
print(
    f"broker default: unclean.leader.election.enable={default_unclean.value} (is_default={default_unclean.is_default})"
)
assert default_unclean.value == "false", "Kafka's default: never elect an out-of-sync replica"

# %% [markdown]
# The two topics, one timeline each (the faults go on both, at the same moment), a watch on each
# topic, and one producer (`acks=all`, idempotence off: lab 2 is about idempotence) whose
# acknowledgements go on the topic's timeline. `TopicCommand` (Kafka's own `kafka-topics.sh`)
# describes the partitions: the Python clients do not report Eligible Leader Replicas, see below.

# %%
unclean = {"unclean-on": "true", "unclean-off": "false"}
configs = {name: {"min.insync.replicas": "1", "unclean.leader.election.enable": on} for name, on in unclean.items()}
topics = new_topics(BOOTSTRAP, "lab4", configs, replicas=[LEADER, *FOLLOWERS])
ON, OFF = topics["unclean-on"], topics["unclean-off"]
started = time.time()
timelines = {
    ON: Timeline("unclean.leader.election.enable=true", started=started),
    OFF: Timeline("unclean.leader.election.enable=false", started=started),
}
faults = Faults(cluster, *timelines.values())
watches = {
    t: PartitionWatch(cluster, timelines[t], {"controller": t}, fences="controller").start() for t in topics.values()
}
producer = Producer(
    {"bootstrap.servers": BOOTSTRAP, **SECURITY, "acks": "all", "enable.idempotence": False, "linger.ms": 0}
)
before = {t: cluster.partition(t) for t in (ON, OFF)}
elr: dict[str, dict] = {}


def send(topic: str, values: list[bytes]) -> list:
    reports = Deliveries()
    for value in values:
        producer.produce(topic, value, on_delivery=reports)
    producer.flush(15)
    good = [r for r in reports.reports if r.ok]
    detail = f"offsets {good[0].offset}-{good[-1].offset}" if good else f"errors {[r.error for r in reports.reports]}"
    timelines[topic].record("producer", f"{len(good)}/{len(values)} acknowledged", detail)
    return reports.reports


def described(moment: str) -> None:
    elr[moment] = {t: rows[0] for t, rows in describe(cluster, [ON, OFF]).items()}
    for topic, state in elr[moment].items():
        timelines[topic].record("TopicCommand", "described", f"ISR {state.isr}, ELR {state.elr}")
        print(f"{moment:<15} unclean {'on ' if topic == ON else 'off'}: {state}")


for t in (ON, OFF):
    print(f"unclean {'on ' if t == ON else 'off'}: {t}, leader {before[t].leader}, ISR {before[t].isr}")

# %% [markdown]
# **Step 1.** Five records to each topic while all three replicas are in sync.

# %%
batch1 = {t: send(t, [f"replicated-{i}".encode() for i in range(5)]) for t in (ON, OFF)}
print({("on" if t == ON else "off"): [r.offset for r in reports] for t, reports in batch1.items()})

# %% [markdown]
# **Step 2.** Freeze both followers and wait until the controller has fenced them: the ISR is the
# leader alone.

# %%
faults.pause(*FOLLOWERS)
for t in (ON, OFF):
    watches[t].wait_for(t, lambda view: view.isr == [LEADER], 20, "ISR = [leader]")
described("ISR = [leader]")

# %% [markdown]
# **Step 3.** Five more records to each topic, acknowledged by the leader alone.

# %%
batch2 = {t: send(t, [f"leader-only-{i}".encode() for i in range(5)]) for t in (ON, OFF)}
print({("on" if t == ON else "off"): [(r.offset, r.ok) for r in reports] for t, reports in batch2.items()})

# %% [markdown]
# **Step 4.** Kill the leader and thaw the followers. Then wait until the controller has fenced the
# dead leader (the brokers themselves now say "no leader" for the clean topic), and for the
# unclean topic's new leader. Should the controller not elect one within 10 s, the lab asks for an
# unclean election itself.

# %%
faults.kill(LEADER)
faults.resume(*FOLLOWERS)
resumed = time.monotonic()
watches[OFF].wait_for(OFF, lambda view: view.leader is None and not view.inferred, 20, "the dead leader fenced")
try:
    new_leader = watches[ON].wait_for(ON, lambda view: view.leader in FOLLOWERS, 10, "an unclean election").leader
    elected_by = "the controller, on its own"
except TimeoutError:
    admin.elect_leaders(ElectionType.UNCLEAN, [TopicPartition(ON, 0)]).result(timeout=15)
    timelines[ON].record("admin", "elect_leaders(UNCLEAN)")
    new_leader = watches[ON].wait_for(ON, lambda view: view.leader in FOLLOWERS, 10, "an unclean election").leader
    elected_by = "AdminClient.elect_leaders(ElectionType.UNCLEAN)"
print(f"unclean on: broker {new_leader} leads, elected by {elected_by}; unclean off: {watches[OFF].now(OFF)}")

# %% [markdown]
# **Step 5.** A write to the leaderless topic, with a 3 s delivery timeout; a write to the unclean
# topic's new leader; and `TopicCommand` during the outage.

# %%
impatient = Producer({"bootstrap.servers": BOOTSTRAP, **SECURITY, "acks": "all", "delivery.timeout.ms": 3000})
attempt = Deliveries(timelines[OFF], "producer")
timelines[OFF].record("producer", "produce while-leaderless", "delivery.timeout.ms=3000")
impatient.produce(OFF, b"while-leaderless", on_delivery=attempt)
wait_until(lambda: impatient.poll(0.1) >= 0 and attempt.reports, 10, "the delivery report")
leaderless_attempt = attempt.reports[0].error
after_election = send(ON, [b"after-election"])  # the unclean topic takes writes again
described("outage")
print(f"write while leaderless: {attempt.reports[0].label()}; after-election: offset {after_election[0].offset}")

# %% [markdown]
# **Step 6.** Eight seconds after the thaw, the clean topic still has no leader; restart the old leader.

# %%
time.sleep(max(0.0, resumed + 8 - time.monotonic()))
leaderless_check = (watches[OFF].now(OFF).leader, time.monotonic() - resumed)
timelines[OFF].record("lab", "still no leader", f"{leaderless_check[1]:.0f} s after resume")
faults.start(LEADER)
print(
    f"{leaderless_check[1]:.0f} s after the followers resumed: leader {leaderless_check[0]}; broker {LEADER} restarted"
)

# %% [markdown]
# **Step 7.** The old leader leads the clean topic again and takes a write; all ISRs fill up.

# %%
watches[OFF].wait_for(OFF, lambda view: view.leader == LEADER, 30, "the old leader leads the clean topic again")
after_return = send(OFF, [b"after-return"])
for t in (ON, OFF):
    watches[t].wait_for(t, lambda view: len(view.isr) == 3, 30, "full ISRs")
print(f"unclean off: {watches[OFF].now(OFF)}; after-return: offset {after_return[0].offset}")

# %% [markdown]
# **Step 8.** Make the old leader lead the unclean topic again (a preferred election: leadership goes
# back to the first replica in the partition's list), so that what a
# consumer reads now is what *it* has, and read both topics back.

# %%
admin.elect_leaders(ElectionType.PREFERRED, [TopicPartition(ON, 0)]).result(timeout=15)
watches[ON].wait_for(ON, lambda view: view.leader == LEADER, 15, "preferred leader back")
timelines[ON].record("admin", "elect_leaders(PREFERRED)", f"broker {LEADER} leads again")


def read_back(topic: str) -> list[tuple[int, bytes]]:
    """Every (offset, value) a consumer reads; right after an election a broker may still answer NOT_LEADER."""

    def attempt() -> list | None:
        try:
            return [[(msg.offset(), msg.value()) for msg in read_partition(BOOTSTRAP, topic)]]
        except KafkaException:
            return None

    return wait_until(attempt, 10, f"the records of {topic}")[0]


records = {t: read_back(t) for t in (ON, OFF)}
for t in (ON, OFF):
    timelines[t].record("consumer", f"read back {len(records[t])} records", f"from broker {LEADER}")
    print(f"unclean {'on ' if t == ON else 'off'}: {[(o, v.decode()) for o, v in records[t]]}")

# %% [markdown]
# **The end of the run.** The watches stop and put the controller's record on the timelines; the
# cluster is restored (run this cell even if a step above failed half-way) and the topics deleted.

# %%
for watch in watches.values():
    watch.stop()
cluster.wait_healthy(timeout=60)
after = {t: cluster.partition(t) for t in (ON, OFF)}
controller_log = {t: controller.log_lines(cluster, t) for t in (ON, OFF)}
for future in admin.delete_topics([ON, OFF], request_timeout=15).values():
    future.result(timeout=15)
print("unclean election done by:", elected_by)

# %% [markdown]
# ## Eligible Leader Replicas (KIP-966)
#
# *An aside on the controller's bookkeeping before the two outcomes; skip to the next heading if you
# only want the outcomes.*
#
# Clusters formatted by Kafka 4.1 or later have Eligible Leader Replicas (ELR) on, and so does the
# lab cluster unless it was started with `kafkalab up --no-elr` (the first cell says which). When
# the ISR shrinks **below** `min.insync.replicas`, the replicas that leave it become ELR members:
# still safe to elect, because they had every record acknowledged under that min ISR. With
# `min.insync.replicas=1` and ISR = [leader], the ISR is not below min ISR, so the ELR should be
# empty before the kill. The Python clients do not report ELR; Kafka's `TopicCommand` does:

# %%
for moment, states in elr.items():
    for topic, state in states.items():
        print(f"{moment:<15} unclean {'on ' if topic == ON else 'off'}: {state}")

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
#
# In code: no ELR while the ISR met min ISR 1; during the outage, the unclean topic's new leader
# and no ELR; the clean topic without a leader, and (with ELR on) an empty ISR with the dead
# leader as the only eligible replica.

# %%
assert all(state.elr == [] for state in elr["ISR = [leader]"].values()), "min ISR 1 met: ELR empty"
outage_on, outage_off = elr["outage"][ON], elr["outage"][OFF]
assert outage_on.elr == [] and outage_on.leader == new_leader
assert outage_off.leader is None
if ELR:
    assert outage_off.isr == [] and outage_off.elr == [LEADER], "the dead leader is the only eligible one"
else:
    assert outage_off.isr == [LEADER] and outage_off.elr == [], "without ELR the ISR keeps the dead leader"

# %% [markdown]
# ## `unclean.leader.election.enable=true`: the partition comes back without acknowledged records

# %%
on_before, on_after = before[ON], after[ON]
print(f"before: leader {on_before.leader}, ISR {on_before.isr}")
print(f"after:  leader {on_after.leader}, ISR {on_after.isr}")
print(f"acknowledged by broker {LEADER} alone: {[(r.offset, r.value.decode()) for r in batch2[ON] if r.ok]}")
print(f"new leader: broker {new_leader} (elected by {elected_by})")
print(f"'after-election' written to the new leader: error={after_election[0].error}, offset {after_election[0].offset}")
print("what a consumer reads now, from broker", LEADER, ":", [(o, v.decode()) for o, v in records[ON]])
print("controller log:", *controller_log[ON], sep="\n  ")
timelines[ON].picture()

# %% [markdown]
# Every `leader-only-*` record was acknowledged (`acks=all`, ISR = [leader] satisfies min ISR 1)
# and every one is gone. The follower that became leader never had them; its log ended after
# `replicated-4`, so the next write, `after-election`, got the offset the first lost record had
# been acknowledged at: the same offset now names a different record. When broker 3 came back it
# truncated its log to the new leader's (it follows the leader epoch history, not its own
# longer log), so after the preferred election put broker 3 back in charge the records are not
# there either. The controller logs the election as `UNCLEAN partition change` and sets
# `leaderRecoveryState` to `RECOVERING` for the new leader (the mark of a leader whose log may lack
# records the partition once had).
#
#
# The controller lane is the controller's own record, read from its metadata log when the watch
# stopped: the leader, ISR and ELR it set, and whom it fenced, at the time it decided. (A follower
# that was frozen answers metadata requests from the cache it had before the freeze for a moment
# after the thaw, so a watch that only asked the brokers could show the cluster going back in time.)
#
# In code: both batches were acknowledged; a follower leads; the replicated batch is there and no
# `leader-only-*` record is; `after-election` took the offset of the first of them; broker 3 leads
# again with a full ISR; the controller logged an unclean change from broker 3 to the new leader.

# %%
batch1_on, batch2_on = batch1[ON], batch2[ON]
assert all(r.ok for r in batch1_on + batch2_on), "both batches were acknowledged"
assert new_leader in FOLLOWERS
read_on = [v for _, v in records[ON]]
assert all(r.value in read_on for r in batch1_on), "the replicated batch is intact"
assert not any(r.value in read_on for r in batch2_on), "every acknowledged leader-only record is gone"
assert after_election[0].ok and after_election[0].offset == batch2_on[0].offset, "offset reused"
assert on_after.leader == LEADER and sorted(on_after.isr) == BROKERS, "read from the old leader, fully in sync"
assert any(
    "UNCLEAN partition change" in line and f"leader: {LEADER} -> {new_leader}" in line for line in controller_log[ON]
)

# %% [markdown]
# ## `unclean.leader.election.enable=false`: no leader until the old leader returns

# %%
off_before, off_after = before[OFF], after[OFF]
leader_then, seconds = leaderless_check
print(f"before: leader {off_before.leader}, ISR {off_before.isr}")
print(f"{seconds:.0f} s after the followers resumed (brokers 1 and 2 up and registered): leader {leader_then}")
print(f"write while leaderless: {attempt.reports[0].label()} ({attempt.reports[0].detail()})")
print(f"after:  leader {off_after.leader}, ISR {off_after.isr}")
print("what a consumer reads now:", [(o, v.decode()) for o, v in records[OFF]])
print("controller log:", *controller_log[OFF], sep="\n  ")
timelines[OFF].picture()

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
#
# In code: both batches acknowledged; no leader 8 s after the thaw, and in the controller's record
# one spell without a leader, from the dead leader's fence until after its restart; the write
# timed out; a consumer reads every acknowledged record once, in order, and not the one that timed
# out; broker 3 leads with a full ISR; and the controller logged the last-known-leader election
# (with ELR on) or nothing unclean (with ELR off).

# %%
batch1_off, batch2_off = batch1[OFF], batch2[OFF]
assert all(r.ok for r in batch1_off + batch2_off), "both batches were acknowledged"
assert leader_then is None and seconds >= 8, "no leader while only out-of-sync replicas are alive"
spells = watches[OFF].history.leaderless(OFF)
restart_at = next(e.at for e in timelines[OFF].sorted() if e.what == "restarting")
fenced_at = max(f.at for f in watches[OFF].history.fencings if f.broker == LEADER and f.fenced and f.at < restart_at)
assert len(spells) == 1 and spells[0][0] == fenced_at and spells[0][1] > restart_at, "no leader in between"
assert leaderless_attempt is not None and leaderless_attempt.code() == KafkaError._MSG_TIMED_OUT, "waited, timed out"
read_off = [v for _, v in records[OFF]]
acked_off = [r.value for r in batch1_off + batch2_off + after_return if r.ok]
assert read_off == acked_off, "every acknowledged record is there, once, in order"
assert b"while-leaderless" not in read_off
assert off_after.leader == LEADER and sorted(off_after.isr) == BROKERS
unclean_off = [line for line in controller_log[OFF] if "UNCLEAN partition change" in line]
if ELR:
    back = f"leader: -1 -> {LEADER}", f"lastKnownElr: [{LEADER}] -> []"
    assert len(unclean_off) == 1 and all(part in unclean_off[0] for part in back), "the last-known-leader election"
else:
    assert unclean_off == [], "without ELR the old leader is re-elected cleanly, from the ISR"

# %% [markdown]
# ## What to take away
#
# - `unclean.leader.election.enable=false` (the default) trades availability for the records: the
#   partition waits, leaderless, for a replica that has every acknowledged record. Here that was
#   the old leader itself, and the controller logs its return as an unclean election because it
#   may have lost its unwritten tail; it lost nothing that was acknowledged.
# - `unclean.leader.election.enable=true` trades the records for availability: the partition is
#   back at once, and the same offsets then name other records.
# - `min.insync.replicas=1` let the leader acknowledge alone; with 2, the `leader-only-*` writes
#   would have been refused instead (lab 3).
#
# ## Check yourself
#
# <details>
# <summary>What did `unclean.leader.election.enable=true` cost in this run?</summary>
#
# The five `leader-only-*` records, acknowledged by broker 3 alone: the follower elected in its
# place never had them, and broker 3 truncated its log to the new leader's when it came back.
# </details>
#
# <details>
# <summary>Why did the clean topic have no leader although brokers 1 and 2 were running?</summary>
#
# Neither was in the ISR or the ELR, and the topic forbids electing an out-of-sync replica, so the
# partition waited for broker 3.
# </details>
