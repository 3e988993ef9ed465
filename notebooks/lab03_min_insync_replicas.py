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
# # Lab 3: min.insync.replicas, and who may lead when the ISR is down to one
#
# `acks=all` means "every replica **currently in the ISR** has the record", and the ISR shrinks
# when followers fall behind or die. With the ISR down to the leader alone, `acks=all` is worth no
# more than `acks=1`, unless the topic sets a floor: `min.insync.replicas` (default 1). Below the
# floor the leader refuses `acks=all` writes.
#
# The usual story goes on: "ISR = [leader], the producer is acknowledged, the leader crashes,
# broker 2 becomes leader: the message is lost despite `acks=all`". This lab runs that story on a
# Kafka 4.3.1 cluster, and it does not end that way: a replica that left the ISR is not elected
# while `unclean.leader.election.enable=false` (the default), so the partition has no leader at
# all instead. The loss needs an unclean election (lab 4). The cluster was also formatted with
# **Eligible Leader Replicas** (KIP-966, on by default for clusters formatted by Kafka 4.1 or
# later), which changes what happens next.
#
# Two runs, each with one fault, on four topics created up front, one per question. Every topic
# has three replicas in the order `[1, 2, 3]`, so broker 1 leads them all and one fault hits them
# the same way. A follower is frozen with SIGSTOP; the controller fences a broker that has not
# sent a heartbeat for 4 s, and a fenced broker leaves every ISR.
#
# | run | topic | min ISR | question |
# |---|---|---|---|
# | 1 (followers frozen, then thawed) | b | 2 | is `acks=all` refused; does the retry get through later? |
# | 1 (followers frozen, then thawed) | c | 2 | is `acks=1` accepted, and can a consumer read it? |
# | 2 (followers frozen, leader killed, then both back) | a | 1 | `acks=all` acked by the leader alone: who is next? |
# | 2 (followers frozen, leader killed, then both back) | d | 2 | does a replica from the ELR take over, cleanly? |
#
# (The letters are the topics' names in this lab: a and d are for run 2, b and c for run 1.)
#
# This lab reproduces a story told on a guide page; read it there first:
# [min.insync.replicas](../../guarantees/min-insync-replicas/).
#
# ## Set up
#
# The lab cluster and four topics, one per question. `new_topics` (the lab kit) creates each with
# the replicas in the order asked for and waits until broker 1 leads it with a full ISR.

# %%
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from kafkalab import Cluster, client_settings, controller
from kafkalab.faults import Faults
from kafkalab.lab import Timeline, read_partition, wait_until, watermarks
from kafkalab.recorders import ClientLog, Deliveries, Polling, Rule
from kafkalab.topics import describe, new_topics
from kafkalab.watch import PartitionWatch

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
BOOTSTRAP = cluster.bootstrap_servers
SECURITY = client_settings("confluent-kafka")
LEADER, FOLLOWERS = 1, [2, 3]
print(f"Apache Kafka {cluster.version} at {BOOTSTRAP}")

MIN_ISR = {"a": 1, "b": 2, "c": 2, "d": 2}
TOPICS = new_topics(BOOTSTRAP, "lab3", {p: {"min.insync.replicas": str(n)} for p, n in MIN_ISR.items()}, [1, 2, 3])
for part, topic in TOPICS.items():
    print(f"({part}) min.insync.replicas={MIN_ISR[part]} {topic}: {cluster.partition(topic)}")

# %% [markdown]
# <details>
# <summary>How the lab watches the cluster (optional)</summary>
#
# - **Leader and ISR from a broker that is up to date.** A broker thawed by SIGCONT (or just
#   restarted) answers metadata requests from its own cache for a moment, and that cache still
#   shows the ISR from before the freeze. The waits below ask a `PartitionWatch` (the lab kit),
#   which only trusts answers from brokers that have been running for at least 2 s; what it puts
#   on the timeline when it stops is the controller's own record of every change, read from the
#   controller's metadata log.
# - **ELR state.** The Python admin clients do not report Eligible Leader Replicas; Kafka's own
#   `TopicCommand --describe` (the `kafka-topics.sh` tool) prints `Elr` and `LastKnownElr` columns.
#
# A producer with the default retries logs each refused attempt (librdkafka's `debug=msg`); the
# first refusal goes on the timeline with a label, the retries after it as dots.
#
# </details>

# %%
REFUSED = Rule(r"encountered error: (.*?) \(actions", "refused, retrying", again="")


def retrying_producer(timeline: Timeline, lane: str) -> tuple[Producer, ClientLog]:
    """acks=all with the default retries, and its refused attempts on the timeline."""
    log = ClientLog(timeline, lane, [REFUSED])
    config = {"acks": "all", "enable.idempotence": True, "delivery.timeout.ms": 60000, "linger.ms": 0}
    return Producer({"bootstrap.servers": BOOTSTRAP, **SECURITY, **config, "debug": "msg", "logger": log.logger()}), log


def records_of(topic: str) -> list[tuple[int, bytes]]:
    """Every (offset, value) a consumer can read from partition 0, from the beginning."""
    return [(m.offset(), m.value()) for m in read_partition(BOOTSTRAP, topic)]


def wait_for_isr(watch: PartitionWatch, topics: list[str], isr_size: int, what: str) -> None:
    for topic in topics:
        watch.wait_for(topic, lambda view: len(view.isr) == isr_size, 30, what)


# %% [markdown]
# ## Run 1: the ISR shrinks to the leader (parts b and c)
#
# Both followers are frozen until the controller fences them and the ISR of topics b and c is
# `[1]`, below their `min.insync.replicas=2`. Then three producers write:
#
# - **b, `acks=all`, default retries** (`delivery.timeout.ms=60000`): every attempt is refused with
#   `NOT_ENOUGH_REPLICAS`, which is a retriable error, so the client keeps trying on its own;
# - **b, `acks=all`, `retries=0`**: the same refusal, this time handed to the application in the
#   delivery report;
# - **c, `acks=1`**: the leader does not look at `min.insync.replicas` for `acks=1`.
#
# A consumer of topic c polls for a while, then the followers are thawed.

#
# **Set up run 1.** Three producers, each with a warm-up record (connections and metadata ready
# before the clock matters), a consumer of topic c placed right after c's warm-up record, and the
# watch on topics b and c. Every delivery report goes on the timeline as it comes.

# %%
b, c = TOPICS["b"], TOPICS["c"]
run1 = Timeline("run 1: topics b and c (min.insync.replicas=2), followers frozen, then thawed")
retrying, retry_log = retrying_producer(run1, "b: acks=all")
once = Producer({"bootstrap.servers": BOOTSTRAP, **SECURITY, "acks": "all", "retries": 0, "linger.ms": 0})
acks1 = Producer({"bootstrap.servers": BOOTSTRAP, **SECURITY, "acks": "1", "linger.ms": 0})
warm_up = Deliveries()
for producer, topic in ((retrying, b), (once, b), (acks1, c)):
    producer.produce(topic, b"warm-up", on_delivery=warm_up)
    assert producer.flush(15) == 0
consumer = Consumer(
    {"bootstrap.servers": BOOTSTRAP, **SECURITY, "group.id": f"{c}-reader", "enable.auto.commit": False}
)
consumer.assign([TopicPartition(c, 0, warm_up.reports[-1].offset + 1)])
consumer.poll(0.5)
reports = {lane: Deliveries(run1, lane) for lane in ("b: acks=all", "b: retries=0", "c: acks=1")}
before1 = {p: cluster.partition(TOPICS[p]) for p in "bc"}
watch = PartitionWatch(cluster, run1, {"b": b, "c": c}, lane="controller", fences="controller").start()
polling = Polling(retrying, once, acks1).start()
faults = Faults(cluster, run1)
for p in "bc":
    print(f"({p}) before: leader {before1[p].leader}, ISR {before1[p].isr}")

# %% [markdown]
# **Step 1.** Freeze both followers and wait until the controller has fenced them: the ISR of b and
# c is `[1]`, below their `min.insync.replicas=2`.

# %%
faults.pause(*FOLLOWERS)
wait_for_isr(watch, [b, c], 1, "ISR == [leader] after fencing")
time.sleep(1.0)  # margin: the leader's partition applies the new ISR a moment after its metadata cache
print(f"ISR of b: {watch.now(b).isr}, ISR of c: {watch.now(c).isr}")

# %% [markdown]
# **Step 2.** The three writes.

# %%
run1.record("b: acks=all", "produce order-b")
retrying.produce(b, b"order-b", on_delivery=reports["b: acks=all"])
once.produce(b, b"order-b-once", on_delivery=reports["b: retries=0"])
acks1.produce(c, b"order-c", on_delivery=reports["c: acks=1"])
refused = reports["b: retries=0"].first(35)  # any answer comes within request.timeout.ms (30 s)
acked_c = reports["c: acks=1"].first(35)
print(f"(b) retries=0: {refused.error_name} (code {refused.error.code()})")
print(f"(c) acks=1: acknowledged at offset {acked_c.offset} while the ISR was [{LEADER}]")

# %% [markdown]
# **Step 3.** The consumer of topic c polls for two seconds, still with the followers frozen.

# %%
read_before = [(m.offset(), m.value()) for m in consumer.consume(10, timeout=2.0) if m.error() is None]
hw_before = watermarks(BOOTSTRAP, c)[1]
run1.record("consumer of c", f"read {len(read_before)} record(s)", f"high watermark {hw_before}")
retrying_before_resume = list(reports["b: acks=all"].reports)
print(f"(c) consumer before the thaw: {read_before} (high watermark {hw_before})")
print(f"(b) default retries: {len(retry_log.found['refused, retrying'])} refused attempt(s) so far, no report yet")

# %% [markdown]
# **Step 4.** Thaw the followers. The retrying producer's next attempt should get through, and the
# consumer should see `order-c`.

# %%
faults.resume(*FOLLOWERS)
resumed_at = time.time()
acked_b = reports["b: acks=all"].first(30)
read_after, deadline = [], time.monotonic() + 15
while not read_after and time.monotonic() < deadline:
    msg = consumer.poll(0.5)
    if msg is not None and msg.error() is None:
        read_after.append((msg.offset(), msg.value()))
hw_after = watermarks(BOOTSTRAP, c)[1]
run1.record("consumer of c", f"read {[v.decode() for _, v in read_after]}", f"high watermark {hw_after}")
wait_for_isr(watch, [b, c], 3, "full ISR")
print(f"(b) default retries: acknowledged at offset {acked_b.offset}, {acked_b.at - resumed_at:.1f}s after the thaw")
print(f"(c) consumer after the thaw:  {read_after} (high watermark {hw_after})")

# %% [markdown]
# **The picture.** The watch stops and puts the controller's record of topics b and c on the
# timeline; the cluster is restored (in case a step above failed half-way, run this cell anyway).

# %%
polling.stop()
watch.stop()
consumer.close()
cluster.wait_healthy(timeout=60)
retried = list(retry_log.found["refused, retrying"])
after1 = {p: cluster.partition(TOPICS[p]) for p in "bc"}
records1 = {p: records_of(TOPICS[p]) for p in "bc"}
for p in "bc":
    print(f"({p}) after: leader {after1[p].leader}, ISR {after1[p].isr}; holds {[v for _, v in records1[p]]}")
print(f"(b) default retries: {len(retried)} refused attempt(s): {sorted(set(retried))}")
run1.picture()

# %% [markdown]
# What run 1 shows:
#
# - **(b)** With the ISR below `min.insync.replicas`, the leader refuses `acks=all` writes with
#   `NOT_ENOUGH_REPLICAS` (error code 19) and stores nothing. The producer with `retries=0` hands
#   the error to the application; the one with default retries keeps asking (the "refused,
#   retrying" label and the dots after it) and is acknowledged shortly after the followers are
#   back in the ISR. Nothing was lost and nothing was duplicated; the price was write
#   availability while the ISR was short.
# - **(c)** `acks=1` is not checked against `min.insync.replicas`: the leader stored the record and
#   returned an offset while the ISR was `[1]`. But the high watermark (consumers read only the
#   offsets below it) stayed at that offset, so the consumer read nothing until the followers
#   were back. The leader does not advance the high watermark while the ISR is smaller than
#   `min.insync.replicas`, a rule that came with ELR (KIP-966) and that the ELR guarantee below
#   relies on. An `acks=1` write acknowledged in that state is on one broker only: if that broker
#   is lost for good, so is the record, and no consumer ever saw it.
#
# In code: the `retries=0` write failed with `NOT_ENOUGH_REPLICAS`; the retrying producer got no
# report while the ISR was short, was refused for that reason only, and was acknowledged after the
# thaw; topic b holds `order-b` once and `order-b-once` not at all; `order-c` was acknowledged, not
# readable before the thaw, readable after it, and the high watermark moved past it.

# %%
assert refused.error.code() == KafkaError.NOT_ENOUGH_REPLICAS
assert retrying_before_resume == [], "no acknowledgement while the ISR was below min.insync.replicas"
assert retried and set(retried) == {"Broker: Not enough in-sync replicas"}
assert acked_b.ok and acked_b.at > resumed_at
assert [v for _, v in records1["b"]].count(b"order-b") == 1
assert b"order-b-once" not in [v for _, v in records1["b"]], "a refused write is not stored"
assert acked_c.ok, "acks=1 is accepted below min.insync.replicas"
assert read_before == [] and hw_before <= acked_c.offset, "but not readable"
assert read_after == [(acked_c.offset, b"order-c")], "readable once the ISR recovered"
assert hw_after == acked_c.offset + 1

# %% [markdown]
# ## Run 2: the leader dies while the ISR is the leader alone (parts a and d)
#
# The story from the top of the page, with one change in the cast: topic a has
# `min.insync.replicas=1` (the default), topic d has 2. Follower 2 is frozen 1.5 s before
# follower 3, so the controller fences them one after the other, and `acks=all` writes go to both
# topics: **a**'s is acknowledged by the leader alone, **d**'s is refused and retried.
#
# **Eligible Leader Replicas (KIP-966).** The ISR may contain only replicas that are caught up.
# When the ISR drops *below* `min.insync.replicas`, the replicas that leave it are kept in a second
# list, the ELR: the leader stops acknowledging `acks=all` writes and stops advancing the high
# watermark at that moment (run 1), so an ELR member holds every record ever acknowledged or
# shown to a consumer, and can be elected cleanly if the ISR empties. A replica that leaves the
# ISR while the ISR still meets `min.insync.replicas` is not kept: writes acknowledged after that
# may be missing on it. A broker that restarts after a crash (an unclean shutdown: it may have
# lost the tail of its log) is removed from the ELR.
#
# Then the leader is killed (SIGKILL) and the followers thawed. The leader is fenced 4 s later.
# After a few seconds, `TopicCommand` shows the state again, and the old leader is restarted.

#
# **Set up run 2.** One retrying producer writes to both topics; the watch follows a and d.

# %%
a, d = TOPICS["a"], TOPICS["d"]
run2 = Timeline("run 2: topics a (min ISR 1) and d (min ISR 2), leader killed")
producer, retry_log = retrying_producer(run2, "d: acks=all")
for topic in (a, d):
    producer.produce(topic, b"warm-up")
assert producer.flush(15) == 0
reports = {lane: Deliveries(run2, lane) for lane in ("a: acks=all", "d: acks=all")}
before2 = {p: cluster.partition(TOPICS[p]) for p in "ad"}
admin = AdminClient({"bootstrap.servers": BOOTSTRAP, **SECURITY})
configs = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, a)])
unclean_config = next(iter(configs.values())).result(timeout=10)["unclean.leader.election.enable"].value
watch = PartitionWatch(cluster, run2, {"a": a, "d": d}, lane="controller", fences="controller").start()
polling = Polling(producer).start()
faults = Faults(cluster, run2)
print(f"(a) unclean.leader.election.enable={unclean_config}")
for p in "ad":
    print(f"({p}) before: leader {before2[p].leader}, ISR {before2[p].isr}")

# %% [markdown]
# **Step 1.** Freeze follower 2, and 1.5 s later follower 3, so that the controller fences them one
# after the other. Then ask `TopicCommand` what it sees.

# %%
faults.pause(FOLLOWERS[0])
time.sleep(1.5)  # fenced one after the other, in a known order
faults.pause(FOLLOWERS[1])
wait_for_isr(watch, [a, d], 1, "ISR == [leader] after fencing")
time.sleep(1.0)  # margin: the leader's partition applies the new ISR a moment after its metadata cache
elr_before = {t: rows[0] for t, rows in describe(cluster, [a, d]).items()}
run2.record("TopicCommand", "describes", f"Elr: a {elr_before[a].elr}, d {elr_before[d].elr}")
for p in "ad":
    print(f"TopicCommand before the kill: ({p}) {elr_before[TOPICS[p]]}")

# %% [markdown]
# **Step 2.** An `acks=all` write to each topic: **a**'s should be acknowledged by the leader alone,
# **d**'s refused and retried.

# %%
isr_at_ack = {t: watch.now(t) for t in (a, d)}
run2.record("a: acks=all", "produce order-a")
producer.produce(a, b"order-a", on_delivery=reports["a: acks=all"])
acked_a = reports["a: acks=all"].first(35)
run2.record("d: acks=all", "produce order-d")
producer.produce(d, b"order-d", on_delivery=reports["d: acks=all"])
wait_until(lambda: retry_log.found["refused, retrying"], 10, "order-d refused")
d_before_kill = list(reports["d: acks=all"].reports)
print(f"(a) order-a acknowledged at offset {acked_a.offset} with ISR {isr_at_ack[a].isr}")
print(f"(d) order-d: refused ({retry_log.found['refused, retrying'][0]}), retrying")

# %% [markdown]
# **Step 3.** Kill the leader and thaw the followers; wait for topic d's new leader.

# %%
faults.kill(LEADER)
killed_at = time.time()
faults.resume(*FOLLOWERS)
d_now = watch.wait_for(d, lambda view: view.leader not in (None, LEADER), 30, "new leader for d")
d_elected_at = time.time()
print(f"(d) broker {d_now.leader} leads, seen {d_elected_at - killed_at:.1f}s after the kill")

# %% [markdown]
# **Step 4.** Topic a for two more seconds (two runs of the controller's unclean-election check), and
# `TopicCommand` again.

# %%
samples, hold_until = [], time.monotonic() + 2.0
while time.monotonic() < hold_until:
    samples.append(watch.now(a))
    time.sleep(0.2)
elr_after = {t: rows[0] for t, rows in describe(cluster, [a, d]).items()}
run2.record("TopicCommand", "describes", f"Elr: a {elr_after[a].elr}, d {elr_after[d].elr}")
print(f"(a) leader(s) seen in 2 s: {sorted({str(view.leader) for view in samples})}")
for p in "ad":
    print(f"TopicCommand after the kill: ({p}) {elr_after[TOPICS[p]]}")

# %% [markdown]
# **Step 5.** Wait for `order-d`'s acknowledgement, then restart broker 1 and wait until topic a has
# a leader again.

# %%
acked_d = reports["d: acks=all"].first(30)
restarting_at = time.time()
faults.start(LEADER)
a_now = watch.wait_for(a, lambda view: view.leader is not None, 30, "a gets a leader")
print(f"(d) order-d: acknowledged at offset {acked_d.offset}, {acked_d.at - killed_at:.1f}s after the kill")
print(f"(a) broker {a_now.leader} leads again {time.time() - restarting_at:.1f}s after its restart began")

# %% [markdown]
# **The picture**, with the controller's record of topics a and d: when it fenced whom, and every
# leader, ISR and ELR it set. The controller's own log names the unclean change.

# %%
polling.stop()
watch.stop()
cluster.wait_healthy(timeout=60)
producer.flush(10)
spells = watch.history.leaderless(a)
unclean_lines = controller.log_lines(cluster, a)
records2 = {p: records_of(TOPICS[p]) for p in "ad"}
print(f"(a) without a leader from {spells[0][0] - killed_at:.1f}s to {spells[0][1] - killed_at:.1f}s after the kill")
print("(a) what a consumer reads now:", records2["a"])
print("(d) what a consumer reads now:", records2["d"])
print("controller log, topic a:", *(line[line.find("partition change") :] for line in unclean_lines), sep="\n  ")
run2.picture()

# %% [markdown]
# What run 2 shows:
#
# - **(a) `min.insync.replicas=1`.** `acks=all` was acknowledged with the ISR `[1]`: the leader
#   alone. When broker 1 died, nobody took over. Brokers 2 and 3 were up and registered, but they
#   had left the ISR, and with `unclean.leader.election.enable=false` an out-of-sync follower is
#   never elected (the one exception, the old leader's own restart, comes below): the partition
#   had **no leader** (reads and writes impossible) until broker 1 came back. Nothing acknowledged
#   was lost; the partition was unavailable instead. The often
#   repeated "broker 2 becomes leader: message lost despite acks=all" needs an unclean election,
#   which lab 4 shows.
#
#   With ELR on, `TopicCommand` tells the rest. While the ISR was `[1]` the ELR stayed empty (the
#   ISR never went below `min.insync.replicas=1`). When the controller fenced broker 1, the ISR
#   became **empty** (allowed with ELR) and broker 1 moved into the ELR and `LastKnownElr` (the
#   replicas that were in the ELR when the partition lost its last leader). When it
#   restarted after SIGKILL, it left the ELR (unclean shutdown), and the controller elected it as
#   the *last known leader*: its log records this as an "UNCLEAN partition change" with the leader
#   in `RECOVERING` state (a leader that may lack the tail of its log, until it has caught its own
#   log up), even though the topic's `unclean.leader.election.enable` is false. Had
#   broker 1's disk been lost, no replica would have had `order-a`: broker 1 alone acknowledged it.
# - **(d) `min.insync.replicas=2`.** The ISR went `[1,2,3]` → `[1,3]` → `[1]`. Broker 2 left while
#   the ISR still met the minimum, so it was not kept; broker 3's departure took the ISR below it,
#   so broker 3 went into the **ELR**. `order-d` was refused meanwhile, so broker 3 was missing
#   nothing that had been acknowledged. When broker 1 was fenced, the controller elected broker 3
#   from the ELR, a clean election: no unclean setting involved, nothing lost. The producer's
#   retries then reached broker 3 and `order-d` was acknowledged once broker 2 had caught up and
#   the ISR was back at two. Without ELR (clusters formatted before 4.1, or with
#   `eligible.leader.replicas.version=0`) the controller keeps no such list: the ISR `[1]` would
#   have been the only place to look, and topic d would have waited for broker 1 like topic a.
#   (This cluster has ELR on, so this lab shows only the ELR side.)
#
# In code, in the order of the story:

# %%
assert unclean_config == "false"
assert isr_at_ack[a].isr == [LEADER] and acked_a.ok, "(a) acks=all acknowledged by the leader alone"
assert elr_before[a].elr == [] and elr_before[a].isr == [LEADER]
assert elr_before[d].isr == [LEADER] and elr_before[d].elr == [FOLLOWERS[1]], "(d) last to leave"
assert d_before_kill == [], "(d) acks=all refused while the ISR was below 2"
assert samples and all(view.leader is None for view in samples), "(a) no leader"
assert len(spells) == 1 and killed_at < spells[0][0] and spells[0][1] > restarting_at, "(a) none until 1 is back"
assert watch.history.unfenced_throughout(FOLLOWERS, *spells[0]), "(a) although 2 and 3 were registered"
after_kill = elr_after[a]
assert (after_kill.leader, after_kill.isr, after_kill.elr, after_kill.last_known_elr) == (None, [], [LEADER], [LEADER])
assert d_now.leader == FOLLOWERS[1] and elr_after[d].leader == FOLLOWERS[1], "(d) elected from the ELR"
assert watch.history.state_at(d, 0, spells[0][0]).leader == FOLLOWERS[1], "(d) when the controller fenced 1"
assert d_elected_at - killed_at < 15
assert a_now.leader == LEADER, "(a) the old leader leads again after its restart"
assert any("UNCLEAN partition change" in line for line in unclean_lines)
assert acked_d.ok, acked_d
# After the kill, only a new leader can acknowledge. (Not "after d_elected_at": that is when this
# notebook's metadata poll saw the election, which the producer may learn of first.)
assert acked_d.at > killed_at, "(d) acknowledged only once a new leader had it"
assert [v for _, v in records2["a"]] == [b"warm-up", b"order-a"], "(a) nothing acknowledged was lost"
assert [v for _, v in records2["d"]] == [b"warm-up", b"order-d"], "(d) nothing lost, nothing duplicated"

# %% [markdown]
# ## What to take away
#
# - With `acks=all`, `min.insync.replicas=2` turns an ISR that is down to the leader into refused
#   writes that the producer retries on its own, instead of writes that only the leader has.
# - `acks=1` is not checked against `min.insync.replicas`, and what it wrote stays unreadable until
#   the ISR is back at the minimum.
# - With `unclean.leader.election.enable=false`, a replica that left the ISR is never elected; with
#   ELR, the replica that took the ISR below the minimum can still be, cleanly. The one exception
#   is the last leader itself: restarted after a crash, it is elected even though it may have lost
#   its unwritten tail, and the controller logs that election as unclean.
#
# ## Check yourself
#
# <details>
# <summary>Why was the `acks=all` write to b refused, and the `acks=1` write to c acknowledged?</summary>
#
# With the ISR down to the leader, below `min.insync.replicas=2`, the leader refuses `acks=all`
# writes with `NOT_ENOUGH_REPLICAS`; `acks=1` writes are not checked against `min.insync.replicas`.
# </details>
#
# <details>
# <summary>Why did topic d get a new leader when broker 1 died, and topic a none?</summary>
#
# Broker 3 left the ISR of topic d last, taking it below `min.insync.replicas=2`, so the controller
# kept it in the ELR and could elect it cleanly. The ISR of topic a never went below its minimum of
# 1, so its ELR stayed empty while broker 1 led; after the fence it held only the dead broker 1,
# so no live replica was eligible.
# </details>
