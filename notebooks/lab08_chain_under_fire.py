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
# # Lab 8: the whole chain under fire
#
# This lab reproduces a story told on a guide page; read it there first:
# [Reliability chain](../../guarantees/reliability-chain/).
#
# **What we break, and why.** The earlier labs break one link at a time. This one keeps every link
# of the reliability chain in place, produces 20,000 keyed records, and meanwhile hits the
# partition leaders with faults, one after the other, at random:
#
# - **crash**: the leader's followers freeze for a second (they fall behind, as under load), the
#   leader is killed (SIGKILL), the followers thaw, a clean election follows, and the old leader
#   restarts with its data;
# - **pause**: the leader freezes (SIGSTOP) past the broker session timeout (4 s on this cluster),
#   is fenced, replaced, and then thaws.
#
# Afterwards the cluster is healed, every record is read back, and a checker compares what the
# producer was told with what a consumer reads: **lost** (acknowledged, never read),
# **duplicated** (read twice) and **reordered** (a key's records out of order). For a duplicate,
# the lab also reads the partition's log files (Kafka's `DumpLogSegments`) to show which producer
# id, producer epoch and sequence number each copy was written with.
#
# The faults are drawn from a seeded random generator, so both runs get the same sequence of kinds
# and partitions (the broker hit is whichever leads that partition at the time). Seed 1 gives three
# crashes and seven pauses; a crash costs a broker restart, so the mix is chosen to keep the lab
# within three minutes (`kafkalab check --seed N` runs other mixes).
#
# Then it runs the same load with the same faults against a chain with its links
# removed: `acks=1`, no idempotence, `min.insync.replicas=1`, unclean leader election allowed. If
# that run came out clean too, the check would prove nothing; it does not.
#
# The machinery is `kafkalab.soak` (the same code behind `kafkalab check`); the producer is
# confluent-kafka. Each run records its faults on a timeline, and its picture is drawn from them.

# %% [markdown]
# ## Set up

# %%
from IPython.display import Markdown, display
from tqdm import tqdm  # plain text bars, for whoever runs the lab; the rendered page leaves them out

from kafkalab import Cluster, soak

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
print(f"Apache Kafka {cluster.version} at {cluster.bootstrap_servers}")
print("brokers before:", ", ".join(f"{s.node_id} {s.state}" for s in cluster.status() if s.role == "broker"))

RECORDS, FAULTS, PARTITIONS, KEYS = 20000, 10, 3, 60
FAULT_EVERY = 0.0  # seconds between the end of one fault's healing and the next fault
SEED = 1  # fixes the faults' kinds and partitions: 3 crashes, 7 pauses, the same in both runs

# %% [markdown]
# The two profiles, as `kafkalab.soak` defines them (read from the code, not retyped):


# %%
def settings_table(*profiles: soak.Profile) -> str:
    rows = ["| layer | setting | " + " | ".join(p.name for p in profiles) + " |", "|---|---|" + "---|" * len(profiles)]
    for layer in ("producer", "topic", "consumer"):
        names = dict.fromkeys(k for p in profiles for k in getattr(p, layer))
        for name in names:
            values = [getattr(p, layer) for p in profiles]
            cells = [f"`{v[name]}`" if name in v else "client default" for v in values]
            rows.append(f"| {layer} | `{name}` | " + " | ".join(cells) + " |")
        if layer == "topic":  # soak.run creates every topic with 3 replicas
            rows.append("| topic | `replication.factor` | " + " | ".join("`3`" for _ in profiles) + " |")
    return "\n".join(rows)


display(Markdown(settings_table(soak.STRONG, soak.WEAK)))


# %% [markdown]
# One run of a profile: the load, the faults, the healing, the read-back and the check, all in
# `soak.run`. Then what it found, and where each partition's leadership ended up.


# %%
def soak_run(profile: soak.Profile) -> soak.SoakResult:
    try:
        with tqdm(total=RECORDS, desc=f"{profile.name}: records produced") as bar:
            return soak.run(
                cluster,
                profile,
                records=RECORDS,
                faults=FAULTS,
                partitions=PARTITIONS,
                keys=KEYS,
                fault_every=FAULT_EVERY,
                seed=SEED,
                progress=bar.update,
            )
    finally:
        cluster.wait_healthy(timeout=120)


def show(result: soak.SoakResult) -> None:
    print(f"{result.profile}: {result.report.summary()}")
    print(f"faults ({len(result.faults)}): {', '.join(result.faults)}; {result.seconds:.0f} s")
    for p in range(PARTITIONS):
        state = cluster.partition(result.topic, p)
        print(f"  partition {p} after: leader {state.leader}, ISR {state.isr}")


# %% [markdown]
# ## The strong chain
#
# One run takes a minute or two: the crashed brokers restart, a JVM each.

# %%
strong = soak_run(soak.STRONG)
show(strong)

# %% [markdown]
# The run, fault by fault: each fault as it was injected (which broker, leader of which
# partition), the end of production, the flush and the read-back.

# %%
strong.timeline.picture()

# %% [markdown]
# For a record the consumer read twice: its copies as the log files store them, and what librdkafka
# said about its producer epoch.


# %%
def show_duplicates(result: soak.SoakResult) -> None:
    if not result.copies:
        print(f"{result.profile}: no record was written twice")
        return
    for record, batches in result.copies.items():
        print(f"{result.profile}: {record} is stored {len(batches)} times:")
        for b in batches:
            print(
                f"   offset {b.base_offset}-{b.last_offset}: producer id {b.producer_id}, "
                f"epoch {b.producer_epoch}, base sequence {b.base_sequence}"
            )
    bumps = [line for line in result.client_log if "epoch bump" in line or "bumped epoch" in line]
    print("librdkafka (debug=eos) about its epoch:", *(bumps or ["nothing"]), sep="\n   ")


show_duplicates(strong)

# %% [markdown]
# ## The weak chain
#
# The same load and the same faults, with the links removed.

# %%
weak = soak_run(soak.WEAK)
show(weak)
print("first lost records (key, sequence):", weak.report.lost[:8])
print("first reorderings (earlier read, later read):", weak.report.reordered[:4])

# %%
weak.timeline.picture()

# %% [markdown]
# ## What must hold
#
# Both runs got all ten faults. The strong chain: every record acknowledged, none lost or
# reordered, a duplicate only of the kind explained below (copies under different producer
# epochs), and the consumer read each record once plus those copies. The weak chain: acknowledged
# records are missing, so the check can fail.

# %%
for r in (strong, weak):
    assert len(r.faults) == FAULTS, r.faults
assert strong.report.acknowledged == RECORDS, "every record was acknowledged in the end"
assert (len(strong.report.lost), len(strong.report.reordered)) == (0, 0), strong.report.summary()
assert strong.unexplained_duplicates == [], "a duplicate within one producer epoch: idempotence failed"
assert strong.report.consumed == RECORDS + sum(len(c) - 1 for c in strong.copies.values())
assert len(weak.report.lost) > 0, "the weak chain loses acknowledged records: the check can fail"
print(f"strong {strong.seconds:.0f} s + weak {weak.seconds:.0f} s = {strong.seconds + weak.seconds:.0f} s")

# %% [markdown]
# ## What to take away
#
# Under the same faults, the strong chain lost and reordered nothing: every one of the 20,000
# acknowledged records was read back, in order per key. Usually each one exactly once, but not
# always. In 2 of the first 10 runs of this lab on the project's machine, the strong chain stored a
# batch twice, both times during the first fault (a leader paused past its session timeout and
# replaced): once two records at offsets 488-489 of one partition and again at 490-491, once one
# record at 475 and again at 476. `DumpLogSegments` showed the same producer id with **epoch 0,
# sequence 488** for the first copy and **epoch 1, sequence 0** for the second (475 and 0 in the
# other run). librdkafka (2.16) had *bumped its producer epoch* in the middle of a leader change.
# Its code does that on a few errors (a sequence error on a batch queued behind another, an unknown
# producer id, records timing out in its queue): it lets the requests in flight finish, increments
# the epoch, and numbers every batch still waiting for an acknowledgement from 0 again. One of
# those batches had in fact been written by the old leader; its acknowledgement never arrived, so
# it was sent again under the new epoch, and to the broker a new epoch starts a fresh sequence:
# nothing to recognise the copy by. This is librdkafka's open issue
# [#4953](https://github.com/confluentinc/librdkafka/issues/4953) (a fix is proposed in PR #4972).
# The output under the strong run above shows, for this run, either "no record was written twice"
# or each copy with its epoch and librdkafka's own "epoch bump" log line (visible only with
# `debug=eos`).
#
# So idempotence removes the duplicates of ordinary retries, not all of them. Where a duplicate
# is not acceptable, use [transactions](../../guarantees/transactions/) (in a transactional
# producer librdkafka turns those errors into a failed transaction instead, which the application
# aborts, and a `read_committed` consumer never sees aborted records: lab 7) or deduplicate in the
# consumer by an event id. The lab's check accepts a duplicate only of that kind (each copy under
# a different epoch of the same producer); a duplicate within one epoch would fail it.
#
# The weak chain lost acknowledged records: with `acks=1` a leader acknowledges records its
# followers have not copied yet, and a leader that is killed or fenced in that moment hands
# leadership to a follower without them (lab 1's story, here under random faults). The checker
# counts the lost records; it does not record which fault lost each one. Without idempotence, the
# retries that follow a leader change can also write a key's records out of order.

# %% [markdown]
# ## Check yourself
#
# <details>
# <summary>Under the same faults, why does the weak chain come out short of acknowledged records?</summary>
#
# Because with `acks=1` a leader acknowledges records its followers have not copied yet, and a
# leader killed or fenced in that moment hands leadership to a follower without them.
# </details>
#
# <details>
# <summary>Can an idempotent producer still store a record two times?</summary>
#
# Yes, when librdkafka bumps its producer epoch during a leader change: it numbers the batches still
# waiting for an acknowledgement from 0 again under the new epoch, and the broker cannot tell such a
# batch from a new one when the old leader had already written it.
# </details>
