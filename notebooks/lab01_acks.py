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
# # Lab 1: what an acknowledgement is worth when the leader dies
#
# This lab reproduces a story told on a guide page; read it there first:
# [Acks](../../guarantees/acks/).
#
# **What we break, and why.** A producer with `acks=1` is told "stored" as soon as the partition
# leader has the record in its own log. The followers copy it a moment later. If the leader dies
# inside that moment, a follower that never saw the record becomes leader, and the acknowledged
# record is gone.
#
# The lab makes that moment long enough to hit every time. On a fresh partition with three
# replicas it
#
# 1. freezes both followers (SIGSTOP, like a long GC pause) and then waits longer than a
#    follower's fetch can stay parked on the leader (`replica.fetch.wait.max.ms`, 500 ms) so no
#    fetch in flight can carry the record out;
# 2. produces one record and waits for its acknowledgement;
# 3. kills the leader (SIGKILL) and thaws the followers;
# 4. waits for the election. Both followers are still in the ISR (they fell behind for less than
#    `replica.lag.time.max.ms`), so the controller elects one of them cleanly.
# 5. restarts the old leader and reads the partition back.
#
# Then it takes the same steps with `acks=all`. Each step records what happened on a timeline,
# and the picture after each story is drawn from those events: the picture is the run.

# %% [markdown]
# ## Set up
#
# The lab cluster: three brokers and a dedicated controller, real Apache Kafka run by `kafkalab`.
# `wait_healthy()` also undoes whatever an interrupted run left behind (a frozen or dead broker).

# %%
import time

from confluent_kafka import Producer

from kafkalab import Cluster, client_settings, new_topic
from kafkalab.lab import Timeline, read_partition, wait_until, watermarks

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
BOOTSTRAP = cluster.bootstrap_servers
SECURITY = client_settings("confluent-kafka")
print(f"Apache Kafka {cluster.version} at {BOOTSTRAP}")


# %% [markdown]
# Each story gets a fresh partition (three replicas, `min.insync.replicas=1`) and its own producer.
# One warm-up record makes the producer's connections and metadata ready before the clock matters,
# and the story starts once every replica has it (the high watermark has passed it). Idempotence is
# off: here one write is one copy (idempotence is lab 2's subject).


# %%
def fresh_partition(acks: str) -> tuple[str, Producer]:
    topic = new_topic(BOOTSTRAP, f"lab1-acks-{acks}", replication_factor=3, config={"min.insync.replicas": "1"})
    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP,
            **SECURITY,
            "acks": acks,
            "enable.idempotence": False,
            "linger.ms": 0,
            "delivery.timeout.ms": 60000,
        }
    )
    producer.produce(topic, b"warm-up")
    assert producer.flush(15) == 0, "the warm-up record is acknowledged"
    wait_until(lambda: watermarks(BOOTSTRAP, topic)[1] == 1, 15, "the warm-up record on every replica")
    return topic, producer


def on_delivery(err, msg) -> None:
    """The producer's delivery report: the acknowledgement (or the error), with the time it came."""
    reports.append({"err": err, "offset": msg.offset(), "at": time.time()})


# %% [markdown]
# ## acks=1, step by step

# %%
topic, producer = fresh_partition("1")
timeline = Timeline("acks=1: followers frozen, leader killed")
reports: list[dict] = []
before = cluster.partition(topic)
leader, followers = before.leader, [r for r in before.replicas if r != before.leader]
timeline.record("controller", f"leader broker {leader}", f"ISR {before.isr}")
print(f"leader: broker {leader}; followers: brokers {followers}; ISR {before.isr}")

# %% [markdown]
# **Step 1.** Freeze both followers, and wait one second.

# %%
for f in followers:
    cluster.pause(f)
    timeline.record(f"broker {f}", "paused (SIGSTOP)", state="paused")
time.sleep(1.0)  # longer than replica.fetch.wait.max.ms: nothing in flight leaves the leader
print("frozen:", [s.node_id for s in cluster.status() if s.state == "paused"])

# %% [markdown]
# **Step 2.** Produce `order-1`. With `acks=1` the leader answers on its own.

# %%
timeline.record("producer", "produce order-1", to=f"broker {leader}")
producer.produce(topic, b"order-1", on_delivery=on_delivery)
ack = wait_until(lambda: producer.poll(0.05) >= 0 and reports, 2.0, "an acknowledgement")[0]
timeline.record(f"broker {leader}", "acknowledged", f"offset {ack['offset']}", at=ack["at"], to="producer")
print(f"acknowledged: offset {ack['offset']}, error {ack['err']}; the followers are still frozen")

# %% [markdown]
# **Step 3.** Kill the leader, thaw the followers.

# %%
cluster.kill(leader)
killed_at = time.time()
timeline.record(f"broker {leader}", "killed (SIGKILL)", state="down")
for f in followers:
    cluster.resume(f)
    timeline.record(f"broker {f}", "resumed (SIGCONT)", state="up")

# %% [markdown]
# **Step 4.** Wait for the controller to elect a new leader, and ask where its log ends.

# %%
new_leader = wait_until(lambda: cluster.leader(topic) not in (None, leader) and cluster.leader(topic), 30, "election")
timeline.record("controller", f"leader broker {new_leader}", f"ISR {cluster.isr(topic)}")
new_leader_hw = watermarks(BOOTSTRAP, topic)[1]
timeline.record(f"broker {new_leader}", "its log ends", f"high watermark {new_leader_hw}")
print(f"new leader: broker {new_leader}, high watermark {new_leader_hw}; 'order-1' was at offset {ack['offset']}")

# %% [markdown]
# **Step 5.** Restart the old leader, and read the partition back.

# %%
cluster.start(leader)
timeline.record(f"broker {leader}", "restarted", "follows the new leader", state="up")
cluster.wait_healthy(timeout=60)
records = [(m.offset(), m.value()) for m in read_partition(BOOTSTRAP, topic)]
timeline.record("consumer", "read back", f"{[v.decode() for _, v in records]}", to=f"broker {new_leader}")
print("what a consumer reads now:", records)

# %% [markdown]
# ### The run

# %%
timeline.picture()

# %% [markdown]
# ### What must hold
#
# The acknowledgement came, without error, before the kill; a different broker leads now; its log
# ends at or before the acknowledged offset; and a consumer does not read `order-1`.

# %%
assert ack["err"] is None and ack["at"] < killed_at, "acknowledged before the leader was killed"
assert new_leader != leader
assert new_leader_hw <= ack["offset"], "the new leader's log ends before the acked offset"
assert b"order-1" not in [v for _, v in records], "an acknowledged record was lost"

# %% [markdown]
# The producer was told the record was stored, at a real offset. The broker that became leader
# never had it, and when the old leader came back it truncated its log to match the new leader:
# the record is gone from every replica.
#
# ## acks=all, step by step
#
# Same steps. This time the leader may not answer until the in-sync followers have the record,
# and they are frozen: no acknowledgement comes before the kill. The client then retries on the
# new leader, and the acknowledgement it finally gets is for a copy that is replicated.

# %%
topic, producer = fresh_partition("all")
timeline = Timeline("acks=all: followers frozen, leader killed")
reports = []
before = cluster.partition(topic)
leader, followers = before.leader, [r for r in before.replicas if r != before.leader]
timeline.record("controller", f"leader broker {leader}", f"ISR {before.isr}")
print(f"leader: broker {leader}; followers: brokers {followers}; ISR {before.isr}")

# %% [markdown]
# **Step 1.** Freeze both followers, and wait one second.

# %%
for f in followers:
    cluster.pause(f)
    timeline.record(f"broker {f}", "paused (SIGSTOP)", state="paused")
time.sleep(1.0)
print("frozen:", [s.node_id for s in cluster.status() if s.state == "paused"])

# %% [markdown]
# **Step 2.** Produce `order-1`, and give the leader 1.5 seconds to answer.

# %%
timeline.record("producer", "produce order-1", to=f"broker {leader}")
producer.produce(topic, b"order-1", on_delivery=on_delivery)
producer.poll(1.5)  # the leader waits for the frozen followers
acked_before_kill = list(reports)
print("acknowledgements so far:", acked_before_kill or "none")

# %% [markdown]
# **Step 3.** Kill the leader, thaw the followers.

# %%
cluster.kill(leader)
timeline.record(f"broker {leader}", "killed (SIGKILL)", state="down")
for f in followers:
    cluster.resume(f)
    timeline.record(f"broker {f}", "resumed (SIGCONT)", state="up")

# %% [markdown]
# **Step 4.** Wait for the election. The producer, still waiting, sends `order-1` again to the new
# leader: `flush()` returns when the acknowledgement is in.

# %%
new_leader = wait_until(lambda: cluster.leader(topic) not in (None, leader) and cluster.leader(topic), 30, "election")
timeline.record("controller", f"leader broker {new_leader}", f"ISR {cluster.isr(topic)}")
pending = producer.flush(60)
(report,) = reports
timeline.record(f"broker {new_leader}", "acknowledged", f"offset {report['offset']}", at=report["at"], to="producer")
print(f"flush: {pending} left; report: error {report['err']}, offset {report['offset']}")

# %% [markdown]
# **Step 5.** Restart the old leader, and read the partition back.

# %%
cluster.start(leader)
timeline.record(f"broker {leader}", "restarted", "follows the new leader", state="up")
cluster.wait_healthy(timeout=60)
records = [(m.offset(), m.value()) for m in read_partition(BOOTSTRAP, topic)]
timeline.record("consumer", "read back", f"{[v.decode() for _, v in records]}", to=f"broker {new_leader}")
print("what a consumer reads now:", records)

# %% [markdown]
# ### The run

# %%
timeline.picture()

# %% [markdown]
# ### What must hold
#
# No acknowledgement while the followers were frozen; the retry succeeded; and a consumer reads
# `order-1` exactly once.

# %%
assert not acked_before_kill, "acks=all is not acknowledged while the ISR cannot confirm"
assert pending == 0 and report["err"] is None, "the retry on the new leader succeeded"
values = [v for _, v in records]
assert values.count(b"order-1") == 1, "what was finally acknowledged is there, once"

# %% [markdown]
# ## What to take away
#
# - An `acks=1` acknowledgement says that one broker has the record, for now. Whether the record
#   outlives that broker depends on a follower having fetched it in time, and nothing makes the
#   producer wait for that.
# - With `acks=all` the acknowledgement waits for every replica in the ISR. Here it came after the
#   election, from the new leader: the producer's own retry delivered the record, and `flush()`
#   waited for it.
# - `acks=all` on its own still accepts an ISR of one: the
#   [min.insync.replicas](../../guarantees/min-insync-replicas/) page and lab 3 close that gap.

# %% [markdown]
# ## Check yourself
#
# <details>
# <summary>Why is the `acks=1` record gone, although the producer got an offset for it?</summary>
#
# The leader acknowledged it alone, before either follower had fetched it, and the follower elected
# next never had it: its log ends before that offset, and the old leader truncated its own log to
# match when it came back.
# </details>
#
# <details>
# <summary>With `acks=all`, where does the one copy a consumer reads come from?</summary>
#
# From the producer's retry on the new leader: no acknowledgement came while the followers were
# frozen, the first attempt stayed in the killed leader's log only, and the retry was acknowledged
# once every in-sync replica had it.
# </details>
