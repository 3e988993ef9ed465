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
# # Lab 5: what a producer still holds when its process ends
#
# `produce()` and `send()` do not send anything. They put the record in the client's buffer, and a
# background thread ships batches from there when a batch is full or has waited `linger.ms`. A
# process that ends while records sit in that buffer takes them along: they were never sent, so
# no broker ever had them, and your code is never told (librdkafka prints a warning on stderr as
# it goes; no callback or return value says so).
#
# This lab runs the producer as a real child process, so the exit is a real exit. Each child sends
# 10 `early` records and flushes them (acknowledged, the baseline), then sends 50 `late` records
# with `linger.ms` at 60 s, so they are certain to still be in the buffer, and then ends in one of
# five ways:
#
# | run | client | how the process ends |
# |---|---|---|
# | 1 | confluent-kafka | returns normally, no `flush()` |
# | 2 | confluent-kafka | `flush()`, then `os._exit(0)` |
# | 3 | kafka-python | returns normally, no `close()` |
# | 4 | kafka-python | `os._exit(0)` without `close()`: a crash, like SIGKILL or an OOM kill |
# | 5 | kafka-python | `close()`, then `os._exit(0)` |
#
# Runs 2 and 5 leave through `os._exit` on purpose: it skips every exit handler, so if nothing is
# lost there, it is the `flush()` or `close()` that saved the records and nothing else. Afterwards
# the lab reads every topic back and counts: acknowledged, read back, lost.
#
# This lab reproduces a story told on a guide page; read it there first:
# [Sync vs async](../../basics/sync-vs-async/).
#
# ## Set up

# %%
from pathlib import Path

from IPython.display import Code

from kafkalab import Cluster, new_topic
from kafkalab.child import run_child
from kafkalab.lab import Timeline, read_partition

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
BOOTSTRAP = cluster.bootstrap_servers
print(f"Apache Kafka {cluster.version} at {BOOTSTRAP}")

EARLY, LATE = 10, 50
CHILD = Path("children", "producer_exit.py").resolve()  # next to this notebook

# %% [markdown]
# ## The child program
#
# It reports what it does as JSON lines with wall-clock times (`kafkalab.child.say`; the timeline
# below is drawn from them), including how many `atexit` handlers the process has before and after
# the producer is constructed: kafka-python registers one, confluent-kafka does not.

# %%
Code(filename=str(CHILD), language="python")

# %% [markdown]
# ## One run
#
# A run creates a topic with three replicas, runs one child to its end (`kafkalab.child.run_child`:
# a new interpreter, bounded by a timeout), puts what the child said on the timeline, and reads the
# topic back from the beginning with a separate consumer.

# %%
timeline = Timeline("five producer processes and how they ended")
results = []


def run_ending(client: str, ending: str) -> None:
    lane = f"{client}, {ending}"
    topic = new_topic(BOOTSTRAP, f"lab5-{client}-{ending}", replication_factor=3)
    before = cluster.partition(topic)
    child = run_child(CHILD, client, ending, BOOTSTRAP, topic, EARLY, LATE, timeout=60)
    child.put_on(timeline, lane)
    values = [msg.value() for msg in read_partition(BOOTSTRAP, topic, timeout=15)]
    timeline.record(lane, "read back", f"{len(values)} records")
    created = child.first("producer created").details
    result = {
        "client": client, "ending": ending, "returncode": child.returncode, "stderr": child.stderr,
        "atexit": (created["atexit_before"], created["atexit_after"]),
        "acked_before_exit": max(s.details.get("acked", 0) for s in child.said),
        "sent": EARLY + LATE, "read_back": values, "lost": EARLY + LATE - len(values),
        "before": before, "after": cluster.partition(topic),
    }  # fmt: skip
    results.append(result)
    print(f"exit code {result['returncode']}, atexit handlers {result['atexit'][0]} -> {result['atexit'][1]}")
    print(f"sent {result['sent']}, acknowledged before exit {result['acked_before_exit']}, "
          f"read back {len(values)}, LOST {result['lost']}")  # fmt: skip
    after = result["after"]
    print(f"leader {before.leader} ISR {before.isr} before, leader {after.leader} ISR {after.isr} after")


# %% [markdown]
# ## Run 1: confluent-kafka, the process returns normally, no `flush()`

# %%
run_ending("confluent-kafka", "return")
silent = results[-1]["stderr"]
print("what the child wrote to stderr:", repr(silent) if silent else "nothing")

# %% [markdown]
# ## Run 2: confluent-kafka, `flush()`, then `os._exit(0)`

# %%
run_ending("confluent-kafka", "flush")
# %% [markdown]
# ## Run 3: kafka-python, the process returns normally, no `close()`

# %%
run_ending("kafka-python", "return")
# %% [markdown]
# ## Run 4: kafka-python, `os._exit(0)` without `close()`
#
# Like a SIGKILL or an out-of-memory kill: the process ends without running its exit handlers.

# %%
run_ending("kafka-python", "crash")
# %% [markdown]
# ## Run 5: kafka-python, `close()`, then `os._exit(0)`

# %%
run_ending("kafka-python", "close")
cluster.wait_healthy(timeout=60)
by_run = {(r["client"], r["ending"]): r for r in results}

# %% [markdown]
# ## The picture
#
# Each child's lane, from its start to its exit and the read-back of its topic.

# %%
timeline.picture()

# %% [markdown]
# What happened:
#
# - **confluent-kafka, no `flush()`**: the 50 late records are gone. The process exited with code 0,
#   nothing raised, and no delivery report ever said "failed": the reports simply never came.
# - **confluent-kafka, `flush()`**: all 60 arrive, even though the process then left through
#   `os._exit`. `flush()` sends what lingers at once and waits for the acknowledgements.
# - **kafka-python, normal return without `close()`**: nothing is lost. kafka-python registers an
#   `atexit` handler for every `KafkaProducer` (the handler count went up by one), and that handler
#   calls `close(timeout=1)`, which flushes. It is a safety net with a one-second limit, and it only
#   runs when the interpreter shuts down normally.
# - **kafka-python, `os._exit` without `close()`**: the crash. Exit handlers do not run, as with a
#   SIGKILL, an out-of-memory kill or a container stopped hard: the 50 late records are gone.
# - **kafka-python, `close()`**: all 60 arrive, and the exit handler had nothing to do.
#
# In code: every child exited with code 0 and had its early records acknowledged, and they are all
# there; the two endings without a flush (confluent-kafka returning, kafka-python crashing) left
# the 50 late records unsent, the three others none; and only kafka-python's producer added an
# `atexit` handler.

# %%
by = by_run
for r in results:
    assert r["returncode"] == 0, r["stderr"]
    assert r["acked_before_exit"] >= EARLY, "the early records were acknowledged before any exit"
    assert sorted(r["read_back"][:EARLY]) == sorted(f"early-{i}".encode() for i in range(EARLY))
assert by["confluent-kafka", "return"]["lost"] == LATE, "confluent-kafka: an exit without flush() loses the buffer"
assert by["confluent-kafka", "flush"]["lost"] == 0
assert by["confluent-kafka", "return"]["atexit"][1] == by["confluent-kafka", "return"]["atexit"][0]
assert by["kafka-python", "return"]["atexit"][1] == by["kafka-python", "return"]["atexit"][0] + 1
assert by["kafka-python", "return"]["lost"] == 0, "kafka-python's atexit handler closed (and flushed) the producer"
assert by["kafka-python", "crash"]["lost"] == LATE, "a crash skips the atexit handler: the buffer is lost"
assert by["kafka-python", "close"]["lost"] == 0

# %% [markdown]
# ## What to take away
#
# The producer cannot protect records it has not sent yet; only the application can, by flushing
# (confluent-kafka) or closing (kafka-python) before it exits, and by shutting down in a way that
# lets it do so (handle SIGTERM, give the container a grace period).
#
# ## Check yourself
#
# <details>
# <summary>Why did the kafka-python child that returned deliver its late records, and not confluent-kafka?</summary>
#
# kafka-python registers an exit handler for each producer that closes it, which sends what lingers;
# confluent-kafka registers none, so nothing sent the records before the process ended.
# </details>
#
# <details>
# <summary>Does that exit handler help when the process is killed?</summary>
#
# No: `os._exit`, like SIGKILL or an out-of-memory kill, runs no exit handler; only a `flush()` or
# `close()` that has returned protects the records.
# </details>
