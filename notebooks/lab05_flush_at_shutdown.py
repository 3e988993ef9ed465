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
# no broker ever had them, and nobody is told.
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

# %%
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from tqdm import tqdm  # plain text bars: the rendered labs have no widgets

from kafkalab import Cluster, new_topic
from kafkalab.lab import Timeline, read_partition

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
BOOTSTRAP = cluster.bootstrap_servers
print(f"Apache Kafka {cluster.version} at {BOOTSTRAP}")

EARLY, LATE = 10, 50

# %% [markdown]
# The child program. It reports what it does as JSON lines with wall-clock times (the timeline
# below is drawn from them), including how many `atexit` handlers the process has before and after
# the producer is constructed: kafka-python registers one, confluent-kafka does not.

# %%
CHILD = r"""
import atexit, json, os, sys, time

client, ending, bootstrap, topic = sys.argv[1:5]
early, late = int(sys.argv[5]), int(sys.argv[6])
acked = []


def say(what, **details):
    print(json.dumps({"at": time.time(), "what": what, **details}), flush=True)


if client == "confluent-kafka":
    from confluent_kafka import Producer

    handlers_before = atexit._ncallbacks()
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 60000})

    def on_delivery(err, msg):
        if err is None:
            acked.append(msg.value())

    def send(value):
        producer.produce(topic, value, on_delivery=on_delivery)
else:
    from kafka import KafkaProducer

    handlers_before = atexit._ncallbacks()
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=60000)

    def send(value):
        producer.send(topic, value).add_callback(lambda metadata: acked.append(value))

say("producer created", atexit_before=handlers_before, atexit_after=atexit._ncallbacks())
for i in range(early):
    send(f"early-{i}".encode())
producer.flush(30)
say("early acknowledged", acked=len(acked))
for i in range(late):
    send(f"late-{i}".encode())
say("late sent", acked=len(acked))
if ending == "flush":
    producer.flush(30)
    say("flushed", acked=len(acked))
elif ending == "close":
    producer.close(30)
    say("closed", acked=len(acked))
if ending in ("flush", "close", "crash"):
    say("os._exit(0)", acked=len(acked))
    os._exit(0)
say("return from main", acked=len(acked))
"""

RUNS = [
    ("confluent-kafka", "return"),
    ("confluent-kafka", "flush"),
    ("kafka-python", "return"),
    ("kafka-python", "crash"),
    ("kafka-python", "close"),
]
script = Path(tempfile.mkdtemp(prefix="lab5-")) / "producer_child.py"
script.write_text(CHILD)


# %% [markdown]
# Run one child, then read its topic back from the beginning with a separate consumer.


# %%
def run_child(client: str, ending: str, timeline: Timeline) -> dict:
    lane = f"{client}, {ending}"
    topic = new_topic(BOOTSTRAP, f"lab5-{client}-{ending}", replication_factor=3)
    before = cluster.partition(topic)
    timeline.record(lane, "child started")
    proc = subprocess.run(
        [sys.executable, str(script), client, ending, BOOTSTRAP, topic, str(EARLY), str(LATE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    timeline.record(lane, f"child exited ({proc.returncode})")
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    for e in events:
        timeline.record(lane, e["what"], f"acked {e['acked']}" if "acked" in e else "", at=e["at"])
    said = {e["what"]: e for e in events}
    values = [msg.value() for msg in read_partition(BOOTSTRAP, topic, timeout=15)]
    timeline.record(lane, "read back", f"{len(values)} records")
    acked = max(e.get("acked", 0) for e in events)
    return {
        "client": client,
        "ending": ending,
        "returncode": proc.returncode,
        "stderr": proc.stderr,
        "atexit": (said["producer created"]["atexit_before"], said["producer created"]["atexit_after"]),
        "acked_before_exit": acked,
        "sent": EARLY + LATE,
        "read_back": values,
        "lost": EARLY + LATE - len(values),
        "before": before,
        "after": cluster.partition(topic),
    }


# %% [markdown]
# ## Five producers, five endings

# %%
timeline = Timeline("five producer processes and how they ended")
results = []
try:
    for client, ending in tqdm(RUNS, desc="producer processes"):
        results.append(run_child(client, ending, timeline))
finally:
    cluster.wait_healthy(timeout=60)

for r in results:
    print(f"{r['client']:<16} {r['ending']:<7} exit code {r['returncode']}  atexit handlers {r['atexit'][0]} -> "
          f"{r['atexit'][1]}  sent {r['sent']}, acknowledged before exit {r['acked_before_exit']}, "
          f"read back {len(r['read_back'])}, LOST {r['lost']}")  # fmt: skip
for r in results:
    print(f"{r['client']}, {r['ending']}: leader {r['before'].leader} ISR {r['before'].isr} before, "
          f"leader {r['after'].leader} ISR {r['after'].isr} after")  # fmt: skip
by_run = {(r["client"], r["ending"]): r for r in results}
silent = by_run["confluent-kafka", "return"]["stderr"]
print("what the confluent-kafka child without flush() wrote to stderr:", repr(silent) if silent else "nothing")
print(timeline.text())
timeline.plot()
plt.show()

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
# The producer cannot protect records it has not sent yet; only the application can, by flushing
# (confluent-kafka) or closing (kafka-python) before it exits, and by shutting down in a way that
# lets it do so (handle SIGTERM, give the container a grace period).

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
