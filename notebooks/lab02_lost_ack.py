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
# # Lab 2: the lost acknowledgement
#
# A producer sends a batch, the leader appends it and answers, and the answer never arrives: the
# connection breaks on the way back. From the producer's side this looks exactly like a request
# that never reached the broker, so it does the only safe thing and sends the batch again. The
# broker now has the same batch twice, unless it can tell that the second one is a repeat.
#
# That is what `enable.idempotence` is for. An idempotent producer gets a **producer id (PID)**
# from the cluster when it starts, and numbers the batches it sends to each partition: 0, 1, 2...
# (the **sequence number**). A retry carries the same PID and the same sequence number as the
# original. The partition leader keeps, per PID, the sequence numbers of the last five batches it
# appended (which is why an idempotent producer may have at most five requests in flight per
# broker: librdkafka refuses to create one with `max.in.flight` above 5, see the end). A batch whose
# sequence number it has already appended is answered "stored" again, with the offset of the first
# copy, and not written a second time.
#
# The lab makes the lost answer happen on demand. kafkalab puts a small Kafka-aware proxy in front
# of every broker; clients bootstrap through it and keep talking through it. Armed, the proxy lets
# the next Produce request through to the leader, throws the leader's response away and resets
# the client's connection. The lab runs the same steps four times: confluent-kafka and
# kafka-python, each with `enable.idempotence` off and on, always with `acks=all` and the
# clients' default retries. Every run writes one `warm-up` record (connections and, for the
# idempotent producer, its PID are ready before the fault), arms the proxy, sends `payment-1`
# once, and waits for the delivery report.
#
# This lab reproduces a story told on a guide page; read it there first:
# [Idempotence](../../guarantees/idempotence/).
#
# ## Set up
#
# The lab cluster (three brokers and a controller) and the lab kit: `Timeline` records what happens,
# `ClientLog` turns a client's log lines into timeline events, `Deliveries` does the same for
# delivery reports, and `logdump` reads what the leader stored.

# %%
from confluent_kafka import KafkaError, KafkaException, Producer
from kafka import KafkaProducer

from kafkalab import Cluster, client_settings, logdump, new_topic
from kafkalab.lab import Timeline, read_partition
from kafkalab.recorders import ClientLog, Deliveries, Rule

cluster = Cluster.attach()  # the cluster of `kafkalab up` (or the test run's)
cluster.wait_healthy(timeout=60)
BOOTSTRAP = cluster.bootstrap_servers
CONFLUENT_SECURITY = client_settings("confluent-kafka")
KAFKA_PYTHON_SECURITY = client_settings("kafka-python")
print(f"Apache Kafka {cluster.version} at {BOOTSTRAP}")

# %% [markdown]
# ## Two ways to send
#
# Two ways to send, one per client. Each sends the warm-up record, calls `arm()` (which tells the
# proxy to swallow the next Produce response of the partition leader), sends `payment-1`, and
# returns the delivery reports of `payment-1`. Each client's own log lines about the lost
# response and the retry go on the timeline too: librdkafka's `debug=msg` lines (with the PID and
# `BaseSeq` it sends) for confluent-kafka; for kafka-python, its sender's "sending" and "retrying"
# lines (they do not name the batch's sequence number: the leader's log file below does).
# librdkafka hands its log lines to Python when the application polls, so they can trail the
# proxy's events by a few milliseconds.

# %%
LIBRDKAFKA_RULES = [
    Rule(r"Produce MessageSet .*?(BaseSeq -?\d+, PID\{[^}]*\})", "sends produce request", to="proxy"),
    Rule(r"encountered error: (.*)", "batch failed, will retry"),
]
KAFKA_PYTHON_RULES = [
    Rule(r"Sending Produce Request", "sends produce request", to="proxy"),
    Rule(r"Got error produce response .*?: (\w+Error)", "batch failed, will retry"),
]


def send_with_confluent_kafka(bootstrap, topic, idempotent, timeline, arm):
    log = ClientLog(timeline, "client", LIBRDKAFKA_RULES)
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            **CONFLUENT_SECURITY,
            "acks": "all",
            "enable.idempotence": idempotent,
            "linger.ms": 0,
            "debug": "msg",  # librdkafka logs every produce request and what became of it
            "logger": log.logger(),
        }
    )
    producer.produce(topic, b"warm-up")
    assert producer.flush(15) == 0
    arm()
    reports = Deliveries(timeline, "client", to="application")
    timeline.record("application", "produce payment-1", to="client")
    producer.produce(topic, b"payment-1", on_delivery=reports)
    pending = producer.flush(30)
    return reports, pending


# %%
def send_with_kafka_python(bootstrap, topic, idempotent, timeline, arm):
    log = ClientLog(timeline, "client", KAFKA_PYTHON_RULES)
    with log.attached("kafka.producer.sender"):
        producer = KafkaProducer(
            bootstrap_servers=bootstrap, **KAFKA_PYTHON_SECURITY, acks="all", enable_idempotence=idempotent, linger_ms=0
        )
        try:
            producer.send(topic, b"warm-up").get(timeout=15)
            arm()
            reports = Deliveries(timeline, "client", to="application")
            timeline.record("application", "produce payment-1", to="client")
            future = reports.track(producer.send(topic, b"payment-1"), b"payment-1")
            producer.flush(timeout=30)
            pending = 0 if future.is_done else 1
        finally:
            producer.close(timeout=10)
    return reports, pending


CLIENTS = {"confluent-kafka": send_with_confluent_kafka, "kafka-python": send_with_kafka_python}

# %% [markdown]
# ## One run
#
# A run creates a topic with three replicas, starts the proxies with their events on the timeline
# (each at the time the proxy saw it), sends through them and restores the cluster in a `finally`
# block. What the partition holds afterwards is read twice: a consumer reads every `(offset, value)`,
# and Kafka's `DumpLogSegments` tool reads the leader's log segment file directly, which shows what
# a consumer does not: the PID and the sequence numbers stored with each batch (`-1` when the
# producer was not idempotent).

# %%
PROXY_SAYS = {"produce-forwarded": "forwarded", "response-dropped": "response dropped", "connection-reset": "reset"}


def scenario(client: str, idempotent: bool) -> dict:
    topic = new_topic(BOOTSTRAP, f"lab2-{client}-idempotence-{idempotent}", replication_factor=3)
    before = cluster.partition(topic)
    leader, timeline, armed_at = before.leader, Timeline(f"{client}, enable.idempotence={idempotent}"), []

    def on_proxy_event(event):  # runs on the proxy's threads
        to = {"produce-forwarded": f"broker {leader}", "connection-reset": "client"}.get(event.what)
        detail = f"{event.what}, correlation id {event.correlation_id}"
        timeline.record("proxy", PROXY_SAYS[event.what], detail, at=event.at, to=to)

    try:
        with cluster.proxies(on_event=on_proxy_event) as proxies:

            def arm():
                armed_at.append(timeline.record("lab", f"arms the proxy of broker {leader}").at)
                proxies.drop_produce_responses(leader, 1)

            reports, pending = CLIENTS[client](proxies.bootstrap_servers, topic, idempotent, timeline, arm)
            proxy = [e.what for e in proxies.events if e.at >= armed_at[0]]
    finally:
        cluster.wait_healthy(timeout=60)
    # the picture starts when the proxy is armed: the warm-up is not part of the story
    story = Timeline(timeline.title, started=armed_at[0], events=[e for e in timeline.sorted() if e.at >= armed_at[0]])
    batches = logdump.stored_batches(cluster, topic, 0, node=leader)
    return {
        "client": client, "idempotent": idempotent, "topic": topic, "leader": leader, "before": before,
        "after": cluster.partition(topic), "pending": pending, "proxy": proxy, "timeline": story,
        "reports": [{"error": d.error, "offset": d.offset} for d in reports.reports],
        "records": [(m.offset(), m.value()) for m in read_partition(BOOTSTRAP, topic)],
        "batches": {b.base_offset: {"producer_id": b.producer_id, "sequence": b.base_sequence} for b in batches},
    }  # fmt: skip


# %%
def show(run: dict):
    """What one run did, as text, and its picture (the cell's last expression)."""
    print(f"before: leader {run['before'].leader}, ISR {run['before'].isr}")
    print(f"after:  leader {run['after'].leader}, ISR {run['after'].isr}")
    print(f"proxy after arming: {run['proxy']}")
    print(f"delivery reports of payment-1: {run['reports']}")
    print("offset  value       producer id  sequence")
    for offset, value in run["records"]:
        batch = run["batches"][offset]
        print(f"{offset:>6}  {value.decode():<10}  {batch['producer_id']:>11}  {batch['sequence']:>8}")
    return run["timeline"].picture(lanes=["application", "client", "lab", "proxy", f"broker {run['leader']}"])


# %% [markdown]
# ## Run 1: confluent-kafka, idempotence off
#
# The picture starts when the proxy is armed. Time flows down; an arrow is a message between two
# participants.

# %%
runs = {}
runs["confluent-kafka", False] = run = scenario("confluent-kafka", False)
show(run)

# %% [markdown]
# ## Run 2: confluent-kafka, idempotence on

# %%
runs["confluent-kafka", True] = run = scenario("confluent-kafka", True)
show(run)

# %% [markdown]
# ## Run 3: kafka-python, idempotence off

# %%
runs["kafka-python", False] = run = scenario("kafka-python", False)
show(run)

# %% [markdown]
# ## Run 4: kafka-python, idempotence on

# %%
runs["kafka-python", True] = run = scenario("kafka-python", True)
show(run)

# %% [markdown]
# ## What happened
#
# In all four runs the proxy forwarded `payment-1` to the leader, dropped the answer and reset the
# connection, and the client sent the batch a second time: the leader received it twice every
# time. The difference is what the leader did with the second copy.
#
# - **Without idempotence** the batch carries no PID (`producer id -1`, `sequence -1`): the leader
#   cannot tell a retry from a new record and appends it again. The application got one delivery
#   report, "success", and the partition holds `payment-1` twice. librdkafka even says so in its
#   log: the failed request's actions include `MsgPossiblyPersisted`, and it retries anyway,
#   because `retries` is unlimited by default (librdkafka: 2147483647; kafka-python 3: `inf`;
#   only `delivery.timeout.ms` bounds them) and `acks=all` alone says nothing about duplicates.
# - **With idempotence** both requests carried the same PID and sequence number (confluent-kafka
#   logs `BaseSeq 1` twice: the warm-up was sequence 0). The leader had already appended sequence 1
#   for that PID, so it answered the retry with the offset of the first copy and wrote nothing. One
#   report, one copy, and the report's offset is that copy's offset.
#
# The checks below say the same in code, for each client: no record left unsent; exactly one
# delivery report, a success; the proxy forwarded `payment-1` two times and dropped one answer;
# the partition holds `payment-1` as often as the runs above show (two copies without
# idempotence, one with), at the offset the report named; one PID with the sequences 0 and 1 for
# the idempotent producer, none for the other. Then: the two idempotent producers had different
# PIDs, and librdkafka refuses idempotence with six requests in flight.

# %%
by_run = {(r["client"], r["idempotent"]): r for r in runs.values()}
for client in CLIENTS:
    for idempotent, copies in ((False, 2), (True, 1)):
        run = by_run[(client, idempotent)]
        values = [v for _, v in run["records"]]
        assert run["pending"] == 0
        assert [r["error"] for r in run["reports"]] == [None], "the application saw exactly one success"
        assert run["proxy"].count("response-dropped") == 1 and run["proxy"].count("connection-reset") == 1
        assert run["proxy"].count("produce-forwarded") == 2, "the leader received payment-1 twice: original and retry"
        assert values.count(b"payment-1") == copies, f"{client}, idempotence={idempotent}: {values}"
        assert values.count(b"warm-up") == 1
        offsets = [o for o, v in run["records"] if v == b"payment-1"]
        assert run["reports"][0]["offset"] in offsets
        pids = {run["batches"][o]["producer_id"] for o, _ in run["records"]}
        if idempotent:
            assert len(pids) == 1 and pids.pop() >= 0, "one PID for the whole session"
            assert [run["batches"][o]["sequence"] for o, _ in run["records"]] == [0, 1]
        else:
            assert pids == {-1}, "no PID, no sequence: nothing to recognise a retry by"

idempotent_pids = {next(iter(by_run[(c, True)]["batches"].values()))["producer_id"] for c in CLIENTS}
assert len(idempotent_pids) == 2, "each producer session has its own PID"
try:
    Producer({"bootstrap.servers": BOOTSTRAP, **CONFLUENT_SECURITY, "enable.idempotence": True, "max.in.flight": 6})
    raise AssertionError("librdkafka accepted more than 5 requests in flight with idempotence")
except KafkaException as e:
    assert e.args[0].code() == KafkaError._INVALID_ARG
    print("max.in.flight=6 with idempotence:", e.args[0].str())

# %% [markdown]
# ## What to take away
#
# Idempotence only covers retries inside one producer session: a new producer gets a new PID (the
# two idempotent runs above got different ones), so
# an application that sends the same payment twice (or restarts and resends) still writes it twice.
# A `transactional.id` keeps the identity across restarts: the new instance aborts whatever the old
# one left uncommitted (lab 7), so resending that in a new transaction leaves one committed copy.
# Anything else needs a consumer that deduplicates by an event id.
#
# To try it by hand, `kafkalab proxy --drop 2` runs the same proxy from a shell: it prints the
# bootstrap servers to give your producer and every Produce it forwards, then swallows the next
# response from broker 2 (pick the leader that `kafkalab leader TOPIC` names). Ctrl-C stops it.
#
# ## Check yourself
#
# <details>
# <summary>Why did the leader keep one copy of `payment-1` when idempotence was on, and two when it was off?</summary>
#
# With idempotence both attempts carried the same producer id and sequence number, and the leader
# had already appended that sequence for that producer id, so it answered the retry with the first
# copy's offset. Without it the batch carried no producer id, and the leader could not tell the
# retry from a new record.
# </details>
#
# <details>
# <summary>Does idempotence help when an application sends the same record again after a restart?</summary>
#
# No: the restarted producer gets a new producer id, and the leader cannot tell its record from a
# new one.
# </details>
