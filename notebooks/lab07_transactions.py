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
# # Lab 7: transactions, aborts and the zombie
#
# An order service writes each order to `orders` and a line about it to `audit`. Either both
# records count or neither does: a transaction. A producer with a `transactional.id` registers
# with a **transaction coordinator** (a broker), writes records to any number of partitions, and
# then commits or aborts. Commit and abort both write a marker into every partition the
# transaction touched; a `read_committed` consumer returns a transaction's records only once it
# sees the commit marker, and never returns aborted ones.
#
# The `transactional.id` is also an identity over time. When a new producer with the same id calls
# `init_transactions()`, the coordinator aborts whatever the previous one left open and raises the
# id's **epoch**. From then on the old instance (a "zombie": stalled, cut off, or simply still
# running after a restart started its replacement) is refused. That is **fencing**.
#
# The lab runs three stories, with both Python clients:
#
# 1. one transaction over `orders` and `audit`, committed;
# 2. one transaction over both topics, written out (flushed to the log) and then aborted;
# 3. producer A opens a transaction and writes a record; producer B starts with the same
#    `transactional.id`; A tries to commit.
#
# A `read_committed` consumer checks what counts; a `read_uncommitted` one shows what is physically
# in the log.
#
# This lab reproduces a story told on a guide page; read it there first:
# [Transactions](../../guarantees/transactions/).

# %%
import time
import uuid

import matplotlib.pyplot as plt
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from kafka import KafkaProducer
from kafka.errors import KafkaError as KafkaPythonError
from kafka.errors import ProducerFencedError
from tqdm import tqdm  # plain text bars: the rendered labs have no widgets

from kafkalab import Cluster, new_topic
from kafkalab.lab import Timeline

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
BOOTSTRAP = cluster.bootstrap_servers
print(f"Apache Kafka {cluster.version} at {BOOTSTRAP}")

ORDERS = new_topic(BOOTSTRAP, "lab7-orders", replication_factor=3)
AUDIT = new_topic(BOOTSTRAP, "lab7-audit", replication_factor=3)
before = {t: cluster.partition(t) for t in (ORDERS, AUDIT)}
for t, p in before.items():
    print(f"{t}: leader {p.leader}, ISR {p.isr}")

# %% [markdown]
# The same two operations for each client: write one order and its audit line in a transaction,
# then commit or abort. Records are flushed before an abort so that they are really in the log:
# librdkafka's `abort_transaction()` drops records still waiting in its queue, and the lab wants
# to show that aborted records *are* written and only hidden.


# %%
def confluent_transaction(timeline: Timeline, order: str, commit: bool) -> None:
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "transactional.id": f"lab7-{uuid.uuid4()}"})
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce(ORDERS, order.encode(), key=order.encode())
    producer.produce(AUDIT, f"{order} created".encode(), key=order.encode())
    producer.flush(30)
    timeline.record("confluent-kafka", f"{order}: both records in the log")
    if commit:
        producer.commit_transaction(30)
    else:
        producer.abort_transaction(30)
    timeline.record("confluent-kafka", f"{order}: {'committed' if commit else 'aborted'}")
    producer.close()


def kafka_python_transaction(timeline: Timeline, order: str, commit: bool) -> None:
    producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, transactional_id=f"lab7-{uuid.uuid4()}")
    producer.init_transactions()
    producer.begin_transaction()
    producer.send(ORDERS, order.encode(), key=order.encode())
    producer.send(AUDIT, f"{order} created".encode(), key=order.encode())
    producer.flush(30)
    timeline.record("kafka-python", f"{order}: both records in the log")
    if commit:
        producer.commit_transaction()
    else:
        producer.abort_transaction()
    timeline.record("kafka-python", f"{order}: {'committed' if commit else 'aborted'}")
    producer.close(30)


def read(topic: str, isolation: str, until: bytes, timeout: float = 20.0) -> list[bytes]:
    """Values of partition 0 from the beginning, until the record `until` was read."""
    consumer = Consumer(
        {
            "bootstrap.servers": BOOTSTRAP,
            "group.id": f"lab7-reader-{uuid.uuid4()}",
            "isolation.level": isolation,
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    values, deadline = [], time.monotonic() + timeout
    while until not in values and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            values.append(msg.value())
    consumer.close()
    return values


# %% [markdown]
# ## Stories 1 and 2: committed and aborted, over two topics
#
# Each client commits one order and aborts another; a fifth transaction (`order-5`, committed)
# closes the log, so every reader knows when it has read everything.

# %%
timeline = Timeline("commit and abort over two topics")
steps = [
    (confluent_transaction, "order-1", True),
    (kafka_python_transaction, "order-2", True),
    (confluent_transaction, "order-3", False),
    (kafka_python_transaction, "order-4", False),
    (confluent_transaction, "order-5", True),
]
try:
    for write, order, commit in tqdm(steps, desc="transactions"):
        write(timeline, order, commit)
finally:
    cluster.wait_healthy(timeout=60)
seen = {
    (topic, isolation): read(topic, isolation, until=b"order-5" if topic == ORDERS else b"order-5 created")
    for topic in (ORDERS, AUDIT)
    for isolation in ("read_committed", "read_uncommitted")
}
for (topic, isolation), values in seen.items():
    timeline.record(f"consumer {isolation}", f"read {topic.split('-')[1]}", f"{len(values)} records")
    print(f"{isolation:<17} {topic}: {[v.decode() for v in values]}")
print(timeline.text())
timeline.plot()
plt.show()

# %% [markdown]
# The committed orders and their audit lines are visible together, from either client. The aborted
# ones are in both topics' logs (`read_uncommitted` returns them) and invisible to
# `read_committed`: in both topics, not in one of them.

# %%
assert seen[ORDERS, "read_committed"] == [b"order-1", b"order-2", b"order-5"]
assert seen[AUDIT, "read_committed"] == [b"order-1 created", b"order-2 created", b"order-5 created"]
assert seen[ORDERS, "read_uncommitted"] == [b"order-1", b"order-2", b"order-3", b"order-4", b"order-5"]
assert seen[AUDIT, "read_uncommitted"] == [f"order-{i} created".encode() for i in range(1, 6)]

# %% [markdown]
# ## Story 3: the zombie
#
# Producer A starts a transaction and writes `zombie-…` to `orders` (flushed: it is in the log).
# Then producer B starts with the **same** `transactional.id` and calls `init_transactions()`.
# A, unaware, tries to commit. Then B writes and commits `successor-…`. Each step goes on the
# timeline.

# %%
ZOMBIES = new_topic(BOOTSTRAP, "lab7-zombies", replication_factor=3)


def fencing_confluent(timeline: Timeline) -> dict:
    lane, tid = "confluent-kafka", f"lab7-fence-{uuid.uuid4()}"
    a = Producer({"bootstrap.servers": BOOTSTRAP, "transactional.id": tid})
    a.init_transactions(30)
    a.begin_transaction()
    a.produce(ZOMBIES, b"zombie-cfk")
    a.flush(30)
    timeline.record(f"{lane} A", "wrote zombie-cfk (open transaction)")
    b = Producer({"bootstrap.servers": BOOTSTRAP, "transactional.id": tid})
    b.init_transactions(30)
    timeline.record(f"{lane} B", "init_transactions: A fenced")
    out: dict = {}
    try:
        a.commit_transaction(30)
    except KafkaException as e:
        out["commit_error"] = e.args[0]
        timeline.record(f"{lane} A", f"commit raised {e.args[0].name()}")
    try:
        a.close()  # aborting A's transaction fails once more, and A is closed all the same
    except KafkaException as e:
        out["close_error"] = e.args[0]
    try:
        a.produce(ZOMBIES, b"after-close")
    except RuntimeError as e:
        out["after_close"] = e
    timeline.record(f"{lane} A", "closed")
    b.begin_transaction()
    b.produce(ZOMBIES, b"successor-cfk")
    b.commit_transaction(30)
    timeline.record(f"{lane} B", "committed successor-cfk")
    b.close()
    return out


def fencing_kafka_python(timeline: Timeline) -> dict:
    lane, tid = "kafka-python", f"lab7-fence-{uuid.uuid4()}"
    a = KafkaProducer(bootstrap_servers=BOOTSTRAP, transactional_id=tid)
    a.init_transactions()
    a.begin_transaction()
    a.send(ZOMBIES, b"zombie-kp").get(timeout=30)
    timeline.record(f"{lane} A", "wrote zombie-kp (open transaction)")
    b = KafkaProducer(bootstrap_servers=BOOTSTRAP, transactional_id=tid)
    b.init_transactions()
    timeline.record(f"{lane} B", "init_transactions: A fenced")
    out: dict = {}
    try:
        a.commit_transaction()
    except KafkaPythonError as e:
        out["commit_error"] = e
        timeline.record(f"{lane} A", f"commit raised {type(e).__name__}")
    try:
        a.begin_transaction()
    except KafkaPythonError as e:
        out["next_call_error"] = e
    a.close(10)
    timeline.record(f"{lane} A", "closed")
    b.begin_transaction()
    b.send(ZOMBIES, b"successor-kp")
    b.commit_transaction()
    timeline.record(f"{lane} B", "committed successor-kp")
    b.close(30)
    return out


fence_timeline = Timeline("zombie fencing: same transactional.id, two producers")
try:
    fenced = {}
    for name, story in tqdm([("confluent-kafka", fencing_confluent), ("kafka-python", fencing_kafka_python)]):
        fenced[name] = story(fence_timeline)
    committed_view = read(ZOMBIES, "read_committed", until=b"successor-kp")
    log_view = read(ZOMBIES, "read_uncommitted", until=b"successor-kp")
finally:
    cluster.wait_healthy(timeout=60)
fence_timeline.record("consumer read_committed", "read", f"{[v.decode() for v in committed_view]}")

cfk, kp = fenced["confluent-kafka"], fenced["kafka-python"]
err = cfk["commit_error"]
print(f"confluent-kafka commit: KafkaException, code {err.name()} ({err.code()}), fatal={err.fatal()}, "
      f"retriable={err.retriable()}, txn_requires_abort={err.txn_requires_abort()}: {err.str()}")  # fmt: skip
print(f"confluent-kafka close():  KafkaException {cfk['close_error'].name()}; then produce() -> {cfk['after_close']!r}")
print(f"kafka-python commit: {kp['commit_error']!r} (errno {kp['commit_error'].errno})")
print(f"kafka-python next call: {kp['next_call_error']!r}")
print("read_committed:  ", [v.decode() for v in committed_view])
print("read_uncommitted:", [v.decode() for v in log_view])
for t in (ORDERS, AUDIT, ZOMBIES):
    p = cluster.partition(t)
    print(f"{t}: leader {p.leader}, ISR {p.isr} after")
print(fence_timeline.text())
fence_timeline.plot()
plt.show()

# %% [markdown]
# What each client says to the zombie:
#
# - **confluent-kafka**: `commit_transaction()` raises `KafkaException` whose `KafkaError` has the
#   code `_FENCED` (a local code, -144, not the broker's `PRODUCER_FENCED`) and `fatal()` true.
#   A fatal error means this producer instance can do nothing more: not even `abort_transaction()`.
#   Its `close()` raises the same `_FENCED` error once more (it tries to abort the open
#   transaction) and closes the producer anyway; anything after that raises `RuntimeError`.
# - **kafka-python**: `commit_transaction()` raises `ProducerFencedError` (error code 90); the next
#   transactional call (here `begin_transaction()`) raises a plain `KafkaError` that names the
#   error state.
#
# What the application does next is the same for both: stop using the instance, `close()` it
# (expecting the error again with confluent-kafka), and if this process should go on writing,
# create a **new** producer and call `init_transactions()`, which fences in turn whoever else holds
# the id. Do not retry the commit and do not call `abort_transaction()` on a fenced producer. The
# zombie's record stays in the log, aborted: B's `init_transactions()` aborted A's open
# transaction, so `read_committed` consumers never see it.

# %%
assert isinstance(err, KafkaError) and err.code() == KafkaError._FENCED and err.fatal()
assert not err.retriable() and not err.txn_requires_abort()
assert cfk["close_error"].code() == KafkaError._FENCED
assert "closed" in str(cfk["after_close"])
assert type(kp["commit_error"]) is ProducerFencedError and kp["commit_error"].errno == 90
assert type(kp["next_call_error"]) is KafkaPythonError and "ProducerFencedError" in str(kp["next_call_error"])
assert committed_view == [b"successor-cfk", b"successor-kp"], "the zombies' records never count"
assert log_view == [b"zombie-cfk", b"successor-cfk", b"zombie-kp", b"successor-kp"], "but they are in the log"
