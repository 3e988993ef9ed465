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
# This lab reproduces a story told on a guide page; read it there first:
# [Transactions](../../guarantees/transactions/).
#
# **What we break, and why.** An order service writes each order to `orders` and a line about it
# to `audit`. Either both records count or neither does: a transaction. A producer with a
# `transactional.id` registers with a **transaction coordinator** (a broker), writes records to any
# number of partitions, and then commits or aborts. Commit and abort both write a marker into every
# partition the transaction touched; a `read_committed` consumer returns a transaction's records
# only once it sees the commit marker, and never returns aborted ones.
#
# The `transactional.id` is also an identity over time. When a new producer with the same id calls
# `init_transactions()`, the coordinator aborts whatever the previous one left open and raises the
# id's **epoch**. From then on the old instance (a "zombie": stalled, cut off, or simply still
# running after a restart started its replacement) is refused. That is **fencing**.
#
# The lab runs three stories, with both Python clients (confluent-kafka and kafka-python):
#
# 1. one transaction over `orders` and `audit`, committed;
# 2. one transaction over both topics, written out (flushed to the log) and then aborted;
# 3. producer A opens a transaction and writes a record; producer B starts with the same
#    `transactional.id`; A tries to commit.
#
# A `read_committed` consumer checks what counts; a `read_uncommitted` one shows what is physically
# in the log. Each step records what happened on a timeline, and the pictures are drawn from those
# events.

# %% [markdown]
# ## Set up

# %%
import uuid

from confluent_kafka import KafkaError, KafkaException, Producer
from kafka import KafkaProducer
from kafka.errors import KafkaError as KafkaPythonError
from kafka.errors import ProducerFencedError

from kafkalab import Cluster, client_settings, new_topic
from kafkalab.lab import Timeline, read_partition

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
BOOTSTRAP = cluster.bootstrap_servers
CONFLUENT_SECURITY = client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = client_settings("kafka-python")
print(f"Apache Kafka {cluster.version} at {BOOTSTRAP}")

ORDERS = new_topic(BOOTSTRAP, "lab7-orders", replication_factor=3)
AUDIT = new_topic(BOOTSTRAP, "lab7-audit", replication_factor=3)
for t in (ORDERS, AUDIT):
    print(f"{t}: leader {cluster.leader(t)}, ISR {cluster.isr(t)}")

# %% [markdown]
# The same transaction for each client: one order and its audit line, then commit or abort. The
# records are flushed before an abort so that they are really in the log: librdkafka's
# `abort_transaction()` drops records still waiting in its queue, and the lab wants
# to show that aborted records *are* written and only hidden.


# %%
def confluent_transaction(order: str, commit: bool) -> None:
    producer = Producer(
        {"bootstrap.servers": BOOTSTRAP, **CONFLUENT_SECURITY, "transactional.id": f"lab7-{uuid.uuid4()}"}
    )
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce(ORDERS, order.encode(), key=order.encode())
    producer.produce(AUDIT, f"{order} created".encode(), key=order.encode())
    producer.flush(30)
    timeline.record("confluent-kafka", f"{order}: both records written", to="brokers")
    if commit:
        producer.commit_transaction(30)
    else:
        producer.abort_transaction(30)
    timeline.record("confluent-kafka", "commit" if commit else "abort", f"{order}: markers written", to="brokers")


def kafka_python_transaction(order: str, commit: bool) -> None:
    producer = KafkaProducer(
        bootstrap_servers=BOOTSTRAP, **KAFKA_PYTHON_SECURITY, transactional_id=f"lab7-{uuid.uuid4()}"
    )
    producer.init_transactions()
    producer.begin_transaction()
    producer.send(ORDERS, order.encode(), key=order.encode())
    producer.send(AUDIT, f"{order} created".encode(), key=order.encode())
    producer.flush(30)
    timeline.record("kafka-python", f"{order}: both records written", to="brokers")
    if commit:
        producer.commit_transaction()
    else:
        producer.abort_transaction()
    timeline.record("kafka-python", "commit" if commit else "abort", f"{order}: markers written", to="brokers")
    producer.close(30)


# %% [markdown]
# A reader for either isolation level: every record of partition 0 that a consumer returns, from
# the start to the end of the log.


# %%
def read(topic: str, isolation: str) -> list[bytes]:
    values = [m.value() for m in read_partition(BOOTSTRAP, topic, config={"isolation.level": isolation})]
    timeline.record(f"{isolation}", f"read {topic.split('-')[1]}", f"{len(values)} records", to="brokers")
    return values


LANES = ["confluent-kafka", "kafka-python", "brokers", "read_committed", "read_uncommitted"]

# %% [markdown]
# ## Stories 1 and 2: committed and aborted, over two topics
#
# **Commit** one order with each client.

# %%
timeline = Timeline("commit and abort over two topics")
confluent_transaction("order-1", commit=True)
kafka_python_transaction("order-2", commit=True)
print("committed: order-1 (confluent-kafka), order-2 (kafka-python)")

# %% [markdown]
# **Abort** one order with each client, after its records are in the log.

# %%
confluent_transaction("order-3", commit=False)
kafka_python_transaction("order-4", commit=False)
print("aborted: order-3 (confluent-kafka), order-4 (kafka-python)")

# %% [markdown]
# **Commit** a last order, and read both topics at both isolation levels.

# %%
confluent_transaction("order-5", commit=True)
seen = {(topic, iso): read(topic, iso) for topic in (ORDERS, AUDIT) for iso in ("read_committed", "read_uncommitted")}
for (topic, isolation), values in seen.items():
    print(f"{isolation:<17} {topic}: {[v.decode() for v in values]}")

# %%
timeline.picture(lanes=LANES)

# %% [markdown]
# ### What must hold
#
# `read_committed` returns the committed orders and their audit lines, and nothing of the aborted
# ones; `read_uncommitted` returns all five orders in both topics.

# %%
assert seen[ORDERS, "read_committed"] == [b"order-1", b"order-2", b"order-5"]
assert seen[AUDIT, "read_committed"] == [b"order-1 created", b"order-2 created", b"order-5 created"]
assert seen[ORDERS, "read_uncommitted"] == [b"order-1", b"order-2", b"order-3", b"order-4", b"order-5"]
assert seen[AUDIT, "read_uncommitted"] == [f"order-{i} created".encode() for i in range(1, 6)]

# %% [markdown]
# The committed orders and their audit lines are visible together, from either client. The aborted
# ones are in both topics' logs (`read_uncommitted` returns them) and invisible to
# `read_committed`: in both topics, not in one of them.
#
# ## Story 3: the zombie
#
# Producer A starts a transaction and writes `zombie-cfk` (flushed: it is in the log). Then
# producer B starts with the **same** `transactional.id` and calls `init_transactions()`. A,
# unaware, tries to commit. Then B writes and commits `successor-cfk`. First with confluent-kafka:

# %%
ZOMBIES = new_topic(BOOTSTRAP, "lab7-zombies", replication_factor=3)
timeline = Timeline("zombie fencing: same transactional.id, two producers")
tid = f"lab7-fence-{uuid.uuid4()}"
a = Producer({"bootstrap.servers": BOOTSTRAP, **CONFLUENT_SECURITY, "transactional.id": tid})
a.init_transactions(30)
a.begin_transaction()
a.produce(ZOMBIES, b"zombie-cfk")
a.flush(30)
timeline.record("confluent-kafka A", "wrote zombie-cfk", "transaction open", to="brokers")

# %% [markdown]
# **B starts with the same `transactional.id`.** Its `init_transactions()` aborts A's open
# transaction and raises the epoch.

# %%
b = Producer({"bootstrap.servers": BOOTSTRAP, **CONFLUENT_SECURITY, "transactional.id": tid})
b.init_transactions(30)
timeline.record("confluent-kafka B", "init_transactions()", "epoch raised: A fenced", to="brokers")

# %% [markdown]
# **A tries to commit**, then closes. After `close()`, A refuses any call.

# %%
cfk: dict = {}
try:
    a.commit_transaction(30)
except KafkaException as e:
    cfk["commit_error"] = e.args[0]
    timeline.record("brokers", "refused", e.args[0].name(), to="confluent-kafka A")
try:
    a.close()  # aborting A's transaction fails once more, and A is closed all the same
except KafkaException as e:
    cfk["close_error"] = e.args[0]
try:
    a.produce(ZOMBIES, b"after-close")
except RuntimeError as e:
    cfk["after_close"] = e
err = cfk["commit_error"]
print(f"commit: KafkaException, code {err.name()} ({err.code()}), fatal={err.fatal()}, "
      f"retriable={err.retriable()}, txn_requires_abort={err.txn_requires_abort()}: {err.str()}")  # fmt: skip
print(f"close(): KafkaException {cfk['close_error'].name()}; then produce() -> {cfk['after_close']!r}")

# %% [markdown]
# **B carries on**: it writes and commits the successor record.

# %%
b.begin_transaction()
b.produce(ZOMBIES, b"successor-cfk")
b.commit_transaction(30)
timeline.record("confluent-kafka B", "committed successor-cfk", to="brokers")
b.close()

# %% [markdown]
# The same story with kafka-python: A writes `zombie-kp` in an open transaction, B starts with the
# same id, A tries to commit and then to begin a new transaction, and B commits `successor-kp`.

# %%
tid = f"lab7-fence-{uuid.uuid4()}"
a = KafkaProducer(bootstrap_servers=BOOTSTRAP, **KAFKA_PYTHON_SECURITY, transactional_id=tid)
a.init_transactions()
a.begin_transaction()
a.send(ZOMBIES, b"zombie-kp").get(timeout=30)
timeline.record("kafka-python A", "wrote zombie-kp", "transaction open", to="brokers")
b = KafkaProducer(bootstrap_servers=BOOTSTRAP, **KAFKA_PYTHON_SECURITY, transactional_id=tid)
b.init_transactions()
timeline.record("kafka-python B", "init_transactions()", "epoch raised: A fenced", to="brokers")
kp: dict = {}
try:
    a.commit_transaction()
except KafkaPythonError as e:
    kp["commit_error"] = e
    timeline.record("brokers", "refused", type(e).__name__, to="kafka-python A")
try:
    a.begin_transaction()
except KafkaPythonError as e:
    kp["next_call_error"] = e
a.close(10)
b.begin_transaction()
b.send(ZOMBIES, b"successor-kp")
b.commit_transaction()
timeline.record("kafka-python B", "committed successor-kp", to="brokers")
b.close(30)
print(f"commit: {kp['commit_error']!r} (errno {kp['commit_error'].errno})")
print(f"next call: {kp['next_call_error']!r}")

# %% [markdown]
# **Read the topic back** at both isolation levels.

# %%
committed_view = read(ZOMBIES, "read_committed")
log_view = read(ZOMBIES, "read_uncommitted")
print("read_committed:  ", [v.decode() for v in committed_view])
print("read_uncommitted:", [v.decode() for v in log_view])

# %%
timeline.picture(lanes=["confluent-kafka A", "confluent-kafka B", "kafka-python A", "kafka-python B", *LANES[2:]])

# %% [markdown]
# ### What must hold
#
# What each client says to the zombie:
#
# - **confluent-kafka**: `commit_transaction()` raises `KafkaException` whose `KafkaError` has the
#   code `_FENCED` (a local code, -144, not the broker's `PRODUCER_FENCED`) and `fatal()` true.
#   A fatal error means this producer instance can do nothing more: not even `abort_transaction()`.
#   Its `close()` raised the same `_FENCED` error once more here (it tries to abort the open
#   transaction; when the failed commit got less far, it only warns) and closes the producer
#   anyway; anything after that raises `RuntimeError`.
# - **kafka-python**: `commit_transaction()` raises `ProducerFencedError` (error code 90); the next
#   transactional call (here `begin_transaction()`) raises a plain `KafkaError` that names the
#   error state.
#
# And the topic: `read_committed` returns only the successors' records, `read_uncommitted` all four.

# %%
assert isinstance(err, KafkaError) and err.code() == KafkaError._FENCED and err.fatal()
assert not err.retriable() and not err.txn_requires_abort()
assert cfk["close_error"].code() == KafkaError._FENCED
assert "closed" in str(cfk["after_close"])
assert type(kp["commit_error"]) is ProducerFencedError and kp["commit_error"].errno == 90
assert type(kp["next_call_error"]) is KafkaPythonError and "ProducerFencedError" in str(kp["next_call_error"])
assert committed_view == [b"successor-cfk", b"successor-kp"], "the zombies' records never count"
assert log_view == [b"zombie-cfk", b"successor-cfk", b"zombie-kp", b"successor-kp"], "but they are in the log"

# %% [markdown]
# ## What to take away
#
# What the application does next is the same for both: stop using the instance, `close()` it
# (expecting the error again with confluent-kafka), and if this process should go on writing,
# create a **new** producer and call `init_transactions()`, which fences in turn whoever else holds
# the id. Do not retry the commit and do not call `abort_transaction()` on a fenced producer. The
# zombie's record stays in the log, aborted: B's `init_transactions()` aborted A's open
# transaction, so `read_committed` consumers never see it.
#
# - A transaction spans topics: its records count together or not at all, for a `read_committed`
#   consumer.
# - Aborted records are written, and hidden; a `read_uncommitted` consumer still returns them.
# - The `transactional.id` is what fences a zombie: give each logical producer one stable id. Of two
#   instances with the same id, only the one that called `init_transactions()` last can write.

# %% [markdown]
# ## Check yourself
#
# <details>
# <summary>What does a `read_uncommitted` consumer return of an aborted transaction?</summary>
#
# All of its records: an abort writes a marker and leaves the records in the log, so only a
# `read_committed` consumer skips them (orders 3 and 4 above, in both topics).
# </details>
#
# <details>
# <summary>A confluent-kafka producer raised `_FENCED` on commit: call `abort_transaction()` and retry?</summary>
#
# No: the error is fatal, and the instance can do nothing more. Close it and, if the process must go
# on writing, create a new producer and call `init_transactions()`.
# </details>
