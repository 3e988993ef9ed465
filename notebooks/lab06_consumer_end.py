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
# # Lab 6: the consumer's end of the chain
#
# A record that reached every replica can still be lost on the way out: a consumer that tells the
# group "done up to here" before it has done the work, then crashes, never gets those records
# again. And a consumer can process records that, as far as Kafka is concerned, were never
# written: the records of an aborted transaction.
#
# **Part 1: commit order.** A topic holds 10 records. A consumer runs as a real child process in
# group `G`, takes a batch of 5, processes them one by one and crashes (`os._exit(1)`: no clean-up,
# no final commit) after two of them. Then a new consumer in the same group starts where the group's
# committed offset says, and processes the rest. Two versions:
#
# - **auto-commit** (`enable.auto.commit=true`, the default of both Python clients, here with
#   `auto.commit.interval.ms=200`): the client stores the offset of every record it hands to the
#   application and commits it in the background. The child waits until the commit of the whole
#   batch is visible (it asks the group coordinator), so the crash falls, deterministically, after
#   the commit and before the processing.
# - **process, then commit** (`enable.auto.commit=false`, `commit()` after each record): the child
#   crashes after processing its third record and before committing it.
#
# The consumers use `assign()` with a `group.id`: the committed offset belongs to the group either
# way, and a manual assignment spares the lab the wait until the group notices that the crashed
# member is gone (`session.timeout.ms`, 45 s by default).
#
# **Part 2: isolation level.** A transactional producer commits three records, writes three more and
# aborts that transaction, then commits one last record. Four consumers read the partition: each
# client with its default isolation level and with the other one.
#
# This lab reproduces a story told on a guide page; read it there first:
# [Reliability chain](../../guarantees/reliability-chain/).
#
# ## Set up

# %%
import time
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from IPython.display import Code
from kafka import KafkaConsumer
from kafka import TopicPartition as KafkaTopicPartition

from kafkalab import Cluster, client_settings, new_topic
from kafkalab.child import run_child
from kafkalab.lab import Timeline

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
BOOTSTRAP = cluster.bootstrap_servers
CONFLUENT_SECURITY = client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = client_settings("kafka-python")
print(f"Apache Kafka {cluster.version} at {BOOTSTRAP}")

RECORDS, BATCH, CRASH_AFTER = 10, 5, 2
CHILD = Path("children", "consumer_crash.py").resolve()  # next to this notebook

# %% [markdown]
# ## Part 1: commit, then crash
#
# The consumer child. It reports what it does as JSON lines with wall-clock times
# (`kafkalab.child.say`); the timeline is drawn from them.

# %%
Code(filename=str(CHILD), language="python")

# %% [markdown]
# The scenario: write 10 records, run the child (`kafkalab.child.run_child`: a new interpreter,
# bounded by a timeout), then resume with a new consumer in the same group, which starts at the
# group's committed offset and reads to the end.

# %%
timeline = Timeline("a consumer crashes inside its batch; a new one resumes from the committed offset")
runs = {}


def write_orders(mode: str) -> str:
    topic = new_topic(BOOTSTRAP, f"lab6-{mode}", replication_factor=3)
    producer = Producer({"bootstrap.servers": BOOTSTRAP, **CONFLUENT_SECURITY})
    for i in range(RECORDS):
        producer.produce(topic, f"order-{i}".encode())
    assert producer.flush(30) == 0
    timeline.record(f"{mode}: producer", f"{RECORDS} records written")
    return topic


def resume_group(topic: str, group: str, lane: str) -> tuple[int, list[int]]:
    """A new consumer in the group: the committed offset it finds, and the offsets it processes."""
    resumed = Consumer(
        {"bootstrap.servers": BOOTSTRAP, **CONFLUENT_SECURITY, "group.id": group, "enable.auto.commit": False}
    )
    tp = TopicPartition(topic, 0)
    committed_at_restart = resumed.committed([tp], timeout=10)[0].offset
    resumed.assign([tp])  # no offset given: start at the group's committed offset
    offsets, deadline = [], time.monotonic() + 20
    while (not offsets or offsets[-1] < RECORDS - 1) and time.monotonic() < deadline:
        msg = resumed.poll(0.5)
        if msg is not None and msg.error() is None:
            offsets.append(msg.offset())
            resumed.commit(message=msg, asynchronous=False)
    resumed.close()
    timeline.record(lane, "resumed", f"first offset {offsets[0]}")
    timeline.record(lane, "caught up", f"last offset {offsets[-1]}")
    return committed_at_restart, offsets


# %%
def commit_order(mode: str) -> None:
    topic = write_orders(mode)
    before = cluster.partition(topic)
    child = run_child(CHILD, mode, BOOTSTRAP, topic, f"{topic}-G", BATCH, CRASH_AFTER, timeout=60)
    child.put_on(timeline, f"{mode}: consumer 1")
    first_life = [s.details["offset"] for s in child.all("processed")]
    committed_at_restart, second_life = resume_group(topic, f"{topic}-G", f"{mode}: consumer 2")
    processed = first_life + second_life
    runs[mode] = r = {
        "mode": mode, "returncode": child.returncode, "stderr": child.stderr,
        "polled": child.first("polled").details["offsets"], "first_life": first_life,
        "committed_at_restart": committed_at_restart, "second_life": second_life,
        "never_processed": sorted(set(range(RECORDS)) - set(processed)),
        "processed_twice": sorted({o for o in processed if processed.count(o) > 1}),
        "before": before, "after": cluster.partition(topic),
    }  # fmt: skip
    print(f"leader {before.leader} ISR {before.isr} before, leader {r['after'].leader} ISR {r['after'].isr} after")
    print(f"polled {r['polled']}, processed {first_life} then crashed (exit code {child.returncode})")
    print(f"committed offset at the restart: {committed_at_restart}; the new consumer read {second_life}")
    print(f"never processed: {r['never_processed']}; processed twice: {r['processed_twice']}")


# %% [markdown]
# **Auto-commit.** The child waits until the background commit covers the whole batch, processes
# two records and crashes.

# %%
commit_order("auto-commit")

# %% [markdown]
# **Process, then commit.** The child processes and commits one record at a time, and crashes
# after processing its third record, before committing it.

# %%
commit_order("process-then-commit")
cluster.wait_healthy(timeout=60)

# %% [markdown]
# The picture: each consumer's lane, and the producer's.

# %%
timeline.picture()

# %% [markdown]
# With auto-commit, the group's offset moved past the whole batch while the application had
# processed two records of it. Note that the child did not call `consume()` again: librdkafka
# commits the offsets of the records it has handed out from a background timer, whatever the
# application has done with them. The new consumer starts at offset 5: offsets 2, 3 and 4 are never
# processed by anyone, and nothing reports it. Processing first and committing after never skips a
# record; the price is the opposite anomaly: the record whose processing was done but not committed
# (offset 2) is processed a second time. That is at-least-once, and the application has to tolerate
# the repeat (an idempotent write, a check on a business key).
#
# In code: both children crashed (exit code 1) after polling the same batch; auto-commit had
# committed the whole batch, so the new consumer started after it and offsets 2 to 4 were never
# processed; process-then-commit had committed up to offset 2, skipped nothing, and offset 2 came
# again.

# %%
auto, manual = runs["auto-commit"], runs["process-then-commit"]
for r in runs.values():
    assert r["returncode"] == 1, r["stderr"]
    assert r["polled"] == list(range(BATCH))
    assert r["after"].leader is not None
assert auto["first_life"] == list(range(CRASH_AFTER))
assert auto["committed_at_restart"] == BATCH, "the whole batch was committed before the crash"
assert auto["second_life"][0] == BATCH
assert auto["never_processed"] == list(range(CRASH_AFTER, BATCH)), "auto-commit + crash skipped records"
assert manual["committed_at_restart"] == CRASH_AFTER
assert manual["never_processed"] == [], "process-then-commit skips nothing"
assert manual["processed_twice"] == [CRASH_AFTER], "the processed-but-uncommitted record comes again"

# %% [markdown]
# ## Part 2: the isolation level and an aborted transaction
#
# Which isolation level each client uses when the application does not choose: kafka-python
# publishes its defaults in `KafkaConsumer.DEFAULT_CONFIG`; confluent-kafka does not expose its
# configuration, and librdkafka documents `read_committed`. The lab does not trust either: it
# checks what each default consumer actually returns.


# %%
print("kafka-python default isolation_level:", KafkaConsumer.DEFAULT_CONFIG["isolation_level"])


def write_with_abort(topic: str, timeline: Timeline) -> None:
    producer = Producer({"bootstrap.servers": BOOTSTRAP, **CONFLUENT_SECURITY, "transactional.id": f"{topic}-tx"})
    producer.init_transactions(30)
    for name, values, commit in [
        ("transaction 1", [b"committed-1", b"committed-2", b"committed-3"], True),
        ("transaction 2", [b"phantom-1", b"phantom-2", b"phantom-3"], False),
        ("transaction 3", [b"committed-4"], True),
    ]:
        producer.begin_transaction()
        for v in values:
            producer.produce(topic, v)
        producer.flush(30)  # in the log before the abort (librdkafka's abort drops what is still queued)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)
        timeline.record("producer", f"{name} {'committed' if commit else 'aborted'}", f"{len(values)} records")
    producer.close()


# %% [markdown]
# Two readers, one per client; each reads the partition from the start until it has seen
# `committed-4`, the last record.


# %%
def read_confluent(topic: str, isolation: str | None) -> list[bytes]:
    config = {
        "bootstrap.servers": BOOTSTRAP,
        **CONFLUENT_SECURITY,
        "group.id": f"{topic}-{isolation}",
        "enable.auto.commit": False,
    }
    if isolation:
        config["isolation.level"] = isolation
    consumer = Consumer(config)
    consumer.assign([TopicPartition(topic, 0, 0)])
    values, deadline = [], time.monotonic() + 20
    while b"committed-4" not in values and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            values.append(msg.value())
    consumer.close()
    return values


def read_kafka_python(topic: str, isolation: str | None) -> list[bytes]:
    config = {"isolation_level": isolation} if isolation else {}
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, **KAFKA_PYTHON_SECURITY, enable_auto_commit=False, **config)
    tp = KafkaTopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek(tp, 0)
    values, deadline = [], time.monotonic() + 20
    while b"committed-4" not in values and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            values += [r.value for r in records]
    consumer.close()
    return values


# %% [markdown]
# **The run.** One aborted transaction between two committed ones, then the four consumers.

# %%
isolation_timeline = Timeline("one aborted transaction, four consumers")
topic = new_topic(BOOTSTRAP, "lab6-isolation", replication_factor=3)
before = cluster.partition(topic)
write_with_abort(topic, isolation_timeline)
seen = {}
readers = [
    ("confluent-kafka", None, read_confluent),
    ("confluent-kafka", "read_uncommitted", read_confluent),
    ("kafka-python", None, read_kafka_python),
    ("kafka-python", "read_committed", read_kafka_python),
]
for client, isolation, read in readers:
    name = f"{client} {isolation or '(default)'}"
    seen[name] = read(topic, isolation)
    phantoms = sum(v.startswith(b"phantom") for v in seen[name])
    isolation_timeline.record(f"consumer: {name}", "read", f"{len(seen[name])} records, {phantoms} phantoms")
cluster.wait_healthy(timeout=60)
after = cluster.partition(topic)
print(f"leader {before.leader} ISR {before.isr} before, leader {after.leader} ISR {after.isr} after")
for name, values in seen.items():
    print(f"{name:<35} {[v.decode() for v in values]}")
isolation_timeline.picture()

# %% [markdown]
# The aborted records are in the log: a `read_uncommitted` consumer returns them like any other
# record, and an application would process data that, for the producer, never happened. A
# `read_committed` consumer skips them. The defaults differ: confluent-kafka (librdkafka) reads
# committed unless told otherwise; kafka-python, like the Java client, reads uncommitted unless
# told otherwise. Set `isolation.level` / `isolation_level` explicitly in every consumer of
# transactional topics.
#
# In code: each consumer read what its isolation level lets through, and kafka-python's published
# default is `read_uncommitted`.

# %%
committed = [b"committed-1", b"committed-2", b"committed-3", b"committed-4"]
phantoms = [b"phantom-1", b"phantom-2", b"phantom-3"]
assert seen["confluent-kafka (default)"] == committed, "librdkafka's default is read_committed"
assert seen["confluent-kafka read_uncommitted"] == committed[:3] + phantoms + committed[3:]
assert seen["kafka-python (default)"] == committed[:3] + phantoms + committed[3:], "kafka-python's default"
assert seen["kafka-python read_committed"] == committed
assert KafkaConsumer.DEFAULT_CONFIG["isolation_level"] == "read_uncommitted"

# %% [markdown]
# ## What to take away
#
# - Commit what has been processed, not what has been handed out: process, then commit (or store
#   offsets after processing), and make the processing tolerate a repeat.
# - Set the isolation level explicitly in every consumer of a topic that transactions write to.
#
# ## Check yourself
#
# <details>
# <summary>Why were offsets 2, 3 and 4 never processed with auto-commit?</summary>
#
# The background commit had moved the group's offset past the whole batch before the consumer
# crashed after two records, so the new consumer started at offset 5.
# </details>
#
# <details>
# <summary>What does a `read_uncommitted` consumer return from an aborted transaction?</summary>
#
# Its records, like any others: they are in the log, and only a `read_committed` consumer skips
# them.
# </details>
