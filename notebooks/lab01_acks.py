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
# A producer with `acks=1` is told "stored" as soon as the partition leader has the record in its
# own log. The followers copy it a moment later. If the leader dies inside that moment, a follower
# that never saw the record becomes leader, and the acknowledged record is gone.
#
# This lab makes that moment long enough to hit every time. It freezes both followers of a fresh
# partition (SIGSTOP, like a long GC pause), waits longer than a follower's fetch can stay parked on
# the leader (`replica.fetch.wait.max.ms`, 500 ms) so no fetch in flight can carry the record out,
# produces one record, kills the leader (SIGKILL), and thaws the followers. Both followers are
# still in the ISR (they fell behind for less than `replica.lag.time.max.ms`), so the controller
# elects one of them cleanly. Then it repeats the same steps with `acks=all`.
#
# Everything below runs on the lab cluster (3 brokers and a dedicated controller) through
# `kafkalab`, and the pictures are drawn from the events of this very run.
#
# This lab reproduces a story told on a guide page; read it there first:
# [Acks](../../guarantees/acks/).

# %%
import time

import matplotlib.pyplot as plt
from confluent_kafka import Producer
from tqdm import tqdm  # plain text bars: the rendered labs have no widgets

from kafkalab import Cluster, new_topic
from kafkalab.lab import LeaderWatch, Timeline, read_partition, wait_until, watermarks

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
BOOTSTRAP = cluster.bootstrap_servers
print(f"Apache Kafka {cluster.version} at {BOOTSTRAP}")


# %% [markdown]
# The scenario for one `acks` level. It restores the cluster in a `finally` block, so a failure
# never leaves brokers frozen.


# %%
def scenario(acks: str) -> dict:
    topic = new_topic(BOOTSTRAP, f"lab1-acks-{acks}", replication_factor=3, config={"min.insync.replicas": "1"})
    timeline = Timeline(f"acks={acks}: followers frozen, leader killed")
    before = cluster.partition(topic)
    leader, followers = before.leader, [r for r in before.replicas if r != before.leader]
    producer = Producer(
        {
            "bootstrap.servers": BOOTSTRAP,
            "acks": acks,
            "enable.idempotence": False,  # lab 2 is about idempotence; here one write, one copy
            "linger.ms": 0,
            "delivery.timeout.ms": 60000,
        }
    )
    producer.produce(topic, b"warm-up")  # connections and metadata ready before the clock matters
    assert producer.flush(15) == 0
    report: dict = {}

    def on_delivery(err, msg):
        report.update(err=err, offset=msg.offset(), at=time.time())
        timeline.record(
            "producer", "acknowledged" if err is None else f"failed: {err.name()}", f"offset {msg.offset()}"
        )

    steps = tqdm(total=6, desc=f"acks={acks}")
    try:
        with LeaderWatch(cluster, topic, timeline):
            for f in followers:
                cluster.pause(f)
                timeline.record(f"broker {f}", "paused (SIGSTOP)")
            time.sleep(1.0)  # longer than replica.fetch.wait.max.ms: nothing in flight leaves the leader
            steps.update()
            timeline.record("producer", "produce order-1")
            producer.produce(topic, b"order-1", on_delivery=on_delivery)
            acked = wait_until(lambda: producer.poll(0.05) >= 0 and report, 2.0, "an ack") if acks == "1" else None
            if acks == "all":
                producer.poll(1.5)  # the leader waits for the frozen followers: no answer comes
                acked = report or None
            steps.update()
            cluster.kill(leader)
            timeline.record(f"broker {leader}", "killed (SIGKILL)")
            for f in followers:
                cluster.resume(f)
                timeline.record(f"broker {f}", "resumed (SIGCONT)")
            steps.update()
            new_leader = wait_until(
                lambda: cluster.leader(topic) not in (None, leader) and cluster.leader(topic), 30, "election"
            )
            steps.update()
            pending = producer.flush(60)  # acks=all: the retry goes to the new leader
            new_leader_hw = watermarks(BOOTSTRAP, topic)[1]
            timeline.record(f"broker {new_leader}", "leader's log end", f"high watermark {new_leader_hw}")
            cluster.start(leader)
            timeline.record(f"broker {leader}", "restarted")
            steps.update()
    finally:
        cluster.wait_healthy(timeout=60)
        steps.update()
        steps.close()
    records = [(m.offset(), m.value()) for m in read_partition(BOOTSTRAP, topic)]
    timeline.record("consumer", "read back", f"{[v.decode() for _, v in records]}")
    return {
        "acks": acks,
        "before": before,
        "after": cluster.partition(topic),
        "acked_before_kill": acked,
        "report": report,
        "pending": pending,
        "new_leader": new_leader,
        "new_leader_hw": new_leader_hw,
        "records": records,
        "timeline": timeline,
    }


# %% [markdown]
# ## acks=1

# %%
one = scenario("1")
print(f"before: leader {one['before'].leader}, ISR {one['before'].isr}")
print(f"after:  leader {one['after'].leader}, ISR {one['after'].isr}")
print(f"acknowledged 'order-1' at offset {one['report']['offset']} before the leader was killed")
hw, acked_at = one["new_leader_hw"], one["report"]["offset"]
print(f"new leader {one['new_leader']}: high watermark {hw} <= acknowledged offset {acked_at}: it never had it")
print("what a consumer reads now:", one["records"])
print(one["timeline"].text())
one["timeline"].plot()
plt.show()

# %% [markdown]
# The producer was told the record was stored, at a real offset. The broker that became leader
# never had it, and when the old leader came back it truncated its log to match the new leader:
# the record is gone from every replica.

# %%
assert one["acked_before_kill"] and one["report"]["err"] is None
assert one["new_leader"] != one["before"].leader
assert one["new_leader_hw"] <= one["report"]["offset"], "the new leader's log ends before the acked offset"
assert b"order-1" not in [v for _, v in one["records"]], "an acknowledged record was lost"

# %% [markdown]
# ## acks=all
#
# Same steps. This time the leader may not answer until the in-sync followers have the record,
# and they are frozen: no acknowledgement comes before the kill. The client then retries on the
# new leader, and the acknowledgement it finally gets is for a copy that is replicated.

# %%
full = scenario("all")
print(f"before: leader {full['before'].leader}, ISR {full['before'].isr}")
print(f"after:  leader {full['after'].leader}, ISR {full['after'].isr}")
print("acknowledged before the kill:", bool(full["acked_before_kill"]))
print(f"final report: error={full['report'].get('err')}, offset {full['report'].get('offset')}")
print("what a consumer reads now:", full["records"])
print(full["timeline"].text())
full["timeline"].plot()
plt.show()

# %%
assert not full["acked_before_kill"], "acks=all is not acknowledged while the ISR cannot confirm"
assert full["pending"] == 0 and full["report"]["err"] is None, "the retry on the new leader succeeded"
values = [v for _, v in full["records"]]
assert values.count(b"order-1") == 1, "what was finally acknowledged is there, once"
