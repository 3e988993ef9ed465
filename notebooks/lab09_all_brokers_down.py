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
# # Lab 9: every broker down, and what the producer says about it
#
# When every [broker](../../reference/glossary.md#broker) is gone, `produce()` still returns at once:
# the record goes into the client's queue and waits. No exception, no failed
# [delivery report](../../reference/glossary.md#delivery-report), not for as long as
# `delivery.timeout.ms` runs. What does speak up is `error_cb`, the callback for errors about the
# client as a whole, and the statistics librdkafka emits every `statistics.interval.ms`: the queue
# depth (`msg_cnt`) climbs at the rate the application produces.
#
# This lab runs one confluent-kafka producer at a steady 20 records a second, watched the way an
# operator would watch it (statistics every 500 ms, `error_cb`, delivery reports), and takes every
# broker away in two runs, with SIGKILL:
#
# | run | brokers down for | against `delivery.timeout.ms` (30 s here) |
# |---|---|---|
# | 1 | about 3 s, then restarted | shorter: the reports wait, then say delivered |
# | 2 | about 36 s, then restarted | longer: the oldest records fail, and none of them is stored |
#
# The lab's `delivery.timeout.ms` is 30 s so that it runs in about two minutes. The defaults are
# minutes: five for librdkafka, two for kafka-python and Java
# ([Configuration](../../reference/configuration/)).
#
# This lab reproduces a story told on a guide page; read it there first:
# [Watching a producer](../../operations/monitoring/).
#
# ## Set up

# %%
import itertools
import time

from kafkalab import Cluster, new_topic
from kafkalab.chart import line_chart
from kafkalab.faults import Faults
from kafkalab.lab import Timeline, read_partition, wait_until
from kafkalab.recorders import WatchedProducer

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
BOOTSTRAP = cluster.bootstrap_servers
BROKERS = [s.node_id for s in cluster.status() if s.role == "broker"]
print(f"Apache Kafka {cluster.version} at {BOOTSTRAP}, brokers {BROKERS}")

DELIVERY_TIMEOUT_S = 30
CONFIG = {"acks": "all", "enable.idempotence": True, "delivery.timeout.ms": DELIVERY_TIMEOUT_S * 1000}
STEADY_S = 3  # producing with every broker up, before and after each outage
RATE = 20  # records a second: one every 50 ms
ALERT_AT = 2 * RATE  # the alert of the page: two seconds' worth queued, two statistics reports in a row

# %% [markdown]
# ## Run 1: a short outage
#
# A topic with three replicas, and the watched producer (`kafkalab.recorders.WatchedProducer`: a
# producer with `stats_cb`, `error_cb` and a delivery callback, and a thread producing one record
# every 50 ms and polling in between). Three seconds with every broker up first: the baseline.

# %%
timeline = Timeline("run 1: every broker down for about 3 s")
faults = Faults(cluster, timeline)
topic1 = new_topic(BOOTSTRAP, "lab9-short", replication_factor=3)
run1 = WatchedProducer(BOOTSTRAP, topic1, timeline, CONFIG, every=1 / RATE).start()
wait_until(lambda: run1.deliveries.reports, 30, "the first delivery report: the producer is connected")
time.sleep(STEADY_S)
baseline = [s.queued for s in run1.stats.between(time.time() - 1.6, time.time())]
print(f"{len(run1.stream.sent)} produced, {len(run1.deliveries.reports)} reported")
print(f"queue depth (msg_cnt) of the last statistics reports: {baseline}")

# %% [markdown]
# ### Kill every broker
#
# SIGKILL to the three brokers, one after the other (the [controller](../../reference/glossary.md#controller)
# stays up). Then wait for `error_cb` to say `_ALL_BROKERS_DOWN`.

# %%
faults.kill(*BROKERS)
down1 = time.time()
first_kill = min(e.at for e in timeline.sorted() if e.what.startswith("killed"))
alarm = wait_until(lambda: run1.errors.first("_ALL_BROKERS_DOWN", after=first_kill), 15, "_ALL_BROKERS_DOWN")
first_error = run1.errors.first(after=first_kill)
print(f"error_cb codes so far: {sorted(run1.errors.names())}")
print(f"first error_cb {first_error.at - first_kill:.2f} s after the first kill: {first_error.name}")
print(f"_ALL_BROKERS_DOWN {alarm.at - down1:+.2f} s after the last broker was gone: {alarm.text!r}")

# %% [markdown]
# ### Three seconds with no broker
#
# `produce()` keeps returning; the queue grows; no delivery report comes, good or bad.

# %%
time.sleep(max(0.0, down1 + 3 - time.time()))
reported_down = [d for d in run1.deliveries.reports if d.at > first_kill + 0.5]
print(f"queue depth now {run1.queued()}, {run1.unreported()} records without a report")
print(f"delivery reports while every broker was down: {len(reported_down)}")

# %% [markdown]
# ### Restart the brokers
#
# The three brokers are started together with their data (`Faults.start_together`), as a cluster
# comes back after an outage, and waited for until each has registered again; the producer
# reconnects on its own and the queue drains.

# %%
restart1 = time.time()
faults.start_together(*BROKERS)
up1 = time.time()
wait_until(lambda: run1.unreported() == 0, DELIVERY_TIMEOUT_S, "a report for every record produced so far")
back = next(d for d in run1.deliveries.reports if d.at > first_kill + 0.5)
timeline.record("producer", "reports again: delivered", f"{back.at - first_kill:.1f} s after the kill", at=back.at)
print(f"restart began {restart1 - first_kill:.1f} s after the first kill")
print(f"every broker registered again {up1 - restart1:.1f} s later")
print(f"first report after the outage {back.at - restart1:.1f} s after the restart began: {back.label()}")
time.sleep(STEADY_S)
left1 = run1.stop()
print(f"{len(run1.stream.sent)} produced, {sum(d.ok for d in run1.deliveries.reports)} delivered, "
      f"{sum(not d.ok for d in run1.deliveries.reports)} failed, {left1} still queued")  # fmt: skip

# %% [markdown]
# ### What the statistics saw
#
# The queue depth (`msg_cnt`) of every statistics report of the run, and the time every broker was
# down shaded. The numbers are this run's own.

# %%
t0 = run1.stats.samples[0].at
line_chart(
    {"records queued (msg_cnt)": [(s.at - t0, s.queued) for s in run1.stats.samples],
     "requests in flight (waitresp_cnt)": [(s.at - t0, s.in_flight) for s in run1.stats.samples]},
    shaded=[(first_kill - t0, up1 - t0, "brokers down, then restarting")],
    title="run 1: the queue builds while the brokers are down, and drains",
    y_label="count",
)  # fmt: skip

# %% [markdown]
# The run as a sequence of events: the kills, what `error_cb` said (the first report of each code),
# the restarts, the queue drained.

# %%
timeline.picture()

# %% [markdown]
# Read back: every record the producer reported delivered is in the topic, in order, once.

# %%
values1 = [m.value() for m in read_partition(BOOTSTRAP, topic1, timeout=30)]
acked1 = [d.value for d in run1.deliveries.reports if d.ok]
waits = [d.at - sent_at for (sent_at, _), d in zip(run1.stream.sent, run1.deliveries.reports, strict=True)]
print(f"read back {len(values1)} records, {len(set(values1))} distinct; longest wait for a report {max(waits):.1f} s")

# %% [markdown]
# ## Run 2: an outage longer than `delivery.timeout.ms`
#
# The same producer settings, a new topic; this time the brokers stay down for 36 s, longer than the
# 30 s delivery timeout.

# %%
timeline2 = Timeline("run 2: every broker down for about 36 s")
faults2 = Faults(cluster, timeline2)
topic2 = new_topic(BOOTSTRAP, "lab9-long", replication_factor=3)
run2 = WatchedProducer(BOOTSTRAP, topic2, timeline2, CONFIG, every=1 / RATE).start()
wait_until(lambda: run2.deliveries.reports, 30, "the first delivery report: the producer is connected")
time.sleep(STEADY_S)
print(f"{len(run2.stream.sent)} produced, {len(run2.deliveries.reports)} reported")

# %% [markdown]
# ### Kill every broker, and wait past the delivery timeout

# %%
faults2.kill(*BROKERS)
down2 = time.time()
first_kill2 = min(e.at for e in timeline2.sorted() if e.what.startswith("killed"))
failures = wait_until(lambda: [d for d in run2.deliveries.reports if not d.ok], DELIVERY_TIMEOUT_S + 10, "a failure")
first_failed = failures[0]
timeline2.record("producer", f"first report: {first_failed.error_name}", at=first_failed.at)
print(f"first failed report {first_failed.at - first_kill2:.1f} s after the first kill: {first_failed.error_name}")
time.sleep(max(0.0, down2 + DELIVERY_TIMEOUT_S + 6 - time.time()))
failed2 = [d for d in run2.deliveries.reports if not d.ok]
print(f"queue depth now {run2.queued()}; {len(failed2)} records failed so far, all with "
      f"{sorted({d.error_name for d in failed2})}")  # fmt: skip

# %% [markdown]
# ### Restart the brokers

# %%
faults2.start_together(*BROKERS)
up2 = time.time()
wait_until(lambda: run2.unreported() == 0, DELIVERY_TIMEOUT_S, "a report for every record produced so far")
time.sleep(STEADY_S)
left2 = run2.stop()
reports2 = run2.deliveries.reports
print(f"every broker registered again {up2 - first_kill2:.1f} s after the first kill")
print(f"{len(run2.stream.sent)} produced, {sum(d.ok for d in reports2)} delivered, "
      f"{sum(not d.ok for d in reports2)} failed, {left2} still queued")  # fmt: skip

# %% [markdown]
# ### What the statistics saw, and the reports
#
# The queue grows for 30 s, then stays level: each second, as many records reach their delivery
# timeout and fail as the application produces. The failures add up from 30 s after the kill.

# %%
t0 = run2.stats.samples[0].at
fail_times = sorted(d.at - t0 for d in reports2 if not d.ok)
line_chart(
    {"records queued (msg_cnt)": [(s.at - t0, s.queued) for s in run2.stats.samples],
     "failed so far": [(s.at - t0, sum(t <= s.at - t0 for t in fail_times)) for s in run2.stats.samples]},
    shaded=[(first_kill2 - t0, up2 - t0, "brokers down, then restarting")],
    title="run 2: the queue levels off at the delivery timeout, and records fail",
    y_label="records",
)  # fmt: skip

# %%
values2 = {m.value() for m in read_partition(BOOTSTRAP, topic2, timeout=30)}
failed_values = {d.value for d in reports2 if not d.ok}
acked2 = {d.value for d in reports2 if d.ok}
print(f"read back {len(values2)}; every delivered one among them: {acked2 <= values2}")
sent_at = {value: at for at, value in run2.stream.sent}
stored_failed = sorted(failed_values & values2)
print(f"records reported failed: {len(failed_values)}, of them in the topic: {len(stored_failed)}")
for value in stored_failed:
    print(f"  {value.decode()}: produced {sent_at[value] - first_kill2:+.2f} s from the first kill, failed, stored")
cluster.wait_healthy(timeout=90)

# %% [markdown]
# What happened:
#
# - **`error_cb` spoke first.** `_TRANSPORT` for each broker connection the moment it broke or was
#   refused, and `_ALL_BROKERS_DOWN` well within a second or two of the last kill. That is the
#   producer's only immediate signal that it cannot send.
# - **Delivery reports said nothing while the brokers were down.** In run 1 every record waited and
#   was then delivered, once, in order; its report came late but said delivered.
# - **The statistics showed it as it happened.** The queue depth rose by the rate of production
#   (20 a second) for as long as the brokers were down and fell back to its baseline within a
#   couple of seconds of their return.
# - **Past `delivery.timeout.ms` the records fail.** In run 2 the first failed report came 30 s after
#   the kill, with `_MSG_TIMED_OUT`, and the queue levelled off as records timed out as fast as new
#   ones came. Every delivered record is in the topic. Of the failed ones, those produced after the
#   kill are not; but a record already sent when its broker died can be in the topic *and* reported
#   failed: the broker wrote it, its answer never came, and librdkafka cannot tell a record that was
#   written from one that was not (the lab lists any such record above). A failed report means "not
#   known to be stored", not "not stored".
#
# In code:


# %%
def alert_fires(queued: list[int]) -> bool:
    return any(a >= ALERT_AT and b >= ALERT_AT for a, b in itertools.pairwise(queued))


steady = [(s.queued, s.in_flight, s.rtt_ms) for s in run1.stats.samples if s.at < first_kill]
assert baseline and not alert_fires(baseline), f"with every broker up, the queue alert stays quiet: {steady}"
assert alert_fires([s.queued for s in run1.stats.between(first_kill, up1 + 1)]), "it fires in a 3 s outage"
assert {"_TRANSPORT", "_ALL_BROKERS_DOWN"} <= run1.errors.names(first_kill, up1), "error_cb names the outage"
assert alarm.at - down1 < 5, "_ALL_BROKERS_DOWN comes within seconds of the last broker going down"
assert not any(e.fatal for e in run1.errors.errors), "none of these errors is fatal"
assert reported_down == [], "no delivery report, good or bad, while every broker is down"
assert max(s.queued for s in run1.stats.between(first_kill, up1)) >= 40, "the queue builds at the produce rate"
assert run1.stats.samples[-1].queued < RATE, "and drains once the brokers are back"
assert left1 == 0 and all(d.ok for d in run1.deliveries.reports), "an outage shorter than the timeout fails nothing"
assert 3 <= max(waits) < DELIVERY_TIMEOUT_S, "the reports waited, then said delivered"
assert values1 == acked1 and len(set(values1)) == len(values1), "every record stored once, in order"
assert first_failed.error_name == "_MSG_TIMED_OUT", "past the delivery timeout a record fails as timed out"
assert DELIVERY_TIMEOUT_S - 2 < first_failed.at - first_kill2 < DELIVERY_TIMEOUT_S + 5, "at the delivery timeout"
assert {d.error_name for d in reports2 if not d.ok} == {"_MSG_TIMED_OUT"}
assert len(failed_values) >= 20 and left2 == 0 and len(reports2) == len(run2.stream.sent)
assert all(sent_at[v] < down2 for v in stored_failed), "a record stored though reported failed was sent before the kill"
assert acked2 <= values2, "every record reported delivered is stored"

# %% [markdown]
# ## What to take away
#
# An outage of every broker is invisible in delivery reports until `delivery.timeout.ms` has
# passed: alert on `error_cb`'s `_ALL_BROKERS_DOWN` and on the queue depth of the statistics, which
# move within seconds, and treat failed delivery reports as the late, final signal they are.
#
# ## Check yourself
#
# <details>
# <summary>The brokers were down for a few seconds. Did any delivery report say so?</summary>
#
# No delivery report, good or bad, came while every broker was down; afterwards every record was
# reported delivered. Only `error_cb` and the statistics showed the outage as it happened.
# </details>
#
# <details>
# <summary>What happens to a record still queued when its delivery timeout runs out?</summary>
#
# Its delivery report fails with `_MSG_TIMED_OUT`, and the record is not stored: none of the records
# reported failed is in the topic.
# </details>
