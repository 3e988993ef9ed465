"""A producer process stopped by a signal with records queued: real child processes (kafkalab's `serve`, in their
own process group, always stopped), real SIGTERM and SIGINT, and every record reconciled against what a
consumer reads back from the topic."""

import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from kafkalab import new_topic
from kafkalab.child import parse, serve
from kafkalab.lab import read_topic

HERE = Path(__file__).parent
RECORDS = 100
GRACE = 8  # seconds from SIGTERM to SIGKILL in the short-grace test
CLIENTS = ["confluent-kafka", "kafka-python"]
HANDLERS = {"confluent-kafka": "02_handler_confluent_kafka.py", "kafka-python": "03_handler_kafka_python.py"}


def stopped_child(program: str, env: dict, tmp_path: Path, sig: int, *, before=None, grace: float = 30.0):
    """Run `program` until it says "queued", then (after `before()`) send `sig`; SIGKILL it if it is still
    running `grace` seconds later, as Kubernetes does. Returns (exit code, what it said, seconds to exit)."""
    log = tmp_path / f"{program}.log"
    queued = lambda: any(s.what == "queued" for s in parse(log.read_text()))  # noqa: E731
    with serve([sys.executable, str(HERE / program)], ready=queued, log=log, env=env, ready_within=60) as child:
        if before:
            before()
        sent = time.monotonic()
        os.kill(child.pid, sig)
        try:
            code = child.wait(grace)
        except Exception:  # still running at the end of the grace period
            os.kill(child.pid, signal.SIGKILL)
            code = child.wait(10)
        took = time.monotonic() - sent
    return code, parse(log.read_text()), took, log.read_text()


def values_in(bootstrap: str, topic: str) -> Counter:
    return Counter(m.value().decode() for m in read_topic(bootstrap, topic, timeout=20))


@pytest.fixture
def topic(kafka_bootstrap):
    return new_topic(kafka_bootstrap, "shutdown", partitions=1, replication_factor=1)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_without_a_handler(example, client, sig, topic, kafka_bootstrap, tmp_path):
    example("01_without_handler.py")
    env = {"SHUTDOWN_CLIENT": client, "SHUTDOWN_TOPIC": topic, "SHUTDOWN_RECORDS": str(RECORDS)}
    code, said, _, log = stopped_child("01_without_handler.py", env, tmp_path, sig)
    stored = values_in(kafka_bootstrap, topic)
    lost = RECORDS - len(stored)
    print(f"\n{client}, {sig.name}, no handler: exit {code}, {len(stored)} of {RECORDS} stored, {lost} lost")
    assert [s.what for s in said] == ["queued"]
    assert code == -sig, log[-2000:]  # killed by SIGTERM; an unhandled KeyboardInterrupt re-raises SIGINT
    assert set(stored) <= {f"record-{i}" for i in range(RECORDS)} and max(stored.values(), default=1) == 1
    if sig == signal.SIGTERM or client == "confluent-kafka":
        assert lost == RECORDS, "the process ended with every record still queued, and nothing said so"
    else:  # KeyboardInterrupt unwinds; kafka-python's atexit handler calls close(timeout=1), which flushes
        assert "KeyboardInterrupt" in log
        assert lost == 0


def check_accounting(said, stored: Counter) -> dict:
    (accounting,) = [s.details for s in said if s.what == "accounting"]
    delivered, failed, not_taken = set(accounting["delivered"]), set(accounting["failed"]), accounting["not_taken"]
    queued = {f"record-{i}" for i in range(len(delivered) + len(failed))}
    assert len(delivered) == len(accounting["delivered"]) and not delivered & failed
    assert delivered | failed == queued, "every record queued is reported delivered or failed"
    assert len(queued) >= RECORDS and not queued & set(not_taken), "what was not taken was never queued"
    assert delivered <= set(stored), "every record reported delivered is in the topic"
    assert set(stored) <= queued and max(stored.values(), default=1) == 1, "nothing else, nothing twice"
    return accounting | {"stored_but_failed": len(failed & set(stored))}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_with_the_handler_every_record_is_delivered(example, client, sig, topic, kafka_bootstrap, tmp_path):
    example(HANDLERS[client])
    env = {"SHUTDOWN_TOPIC": topic, "SHUTDOWN_RECORDS": str(RECORDS), "SHUTDOWN_BUDGET_SECONDS": "20"}
    code, said, took, log = stopped_child(HANDLERS[client], env, tmp_path, sig)
    assert code == 0, log[-2000:]
    accounting = check_accounting(said, values_in(kafka_bootstrap, topic))
    counts = {k: len(accounting[k]) for k in ("delivered", "failed", "not_taken")}
    print(f"\n{client}, {sig.name}, handler: {counts}, exit after {took:.2f}s")
    assert accounting["failed"] == {} and accounting["left_after_flush"] == 0
    assert len(accounting["delivered"]) >= RECORDS


class FrozenLeader:
    """The topic's only replica, frozen (SIGSTOP) when asked and always thawed: nothing can be delivered meanwhile."""

    def __init__(self, cluster, topic: str) -> None:
        self.cluster, self.node, self.frozen = cluster, cluster.leader(topic, 0), False

    def freeze(self) -> None:
        self.cluster.pause(self.node)
        self.frozen = True

    def thaw(self) -> None:
        if self.frozen:
            self.cluster.resume(self.node)
            self.frozen = False
        self.cluster.wait_healthy(timeout=90)


@pytest.fixture
def leader(kafka_cluster, topic):
    frozen = FrozenLeader(kafka_cluster, topic)
    try:
        yield frozen
    finally:
        frozen.thaw()


@pytest.mark.timeout(180)
@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("budget", [3, 30], ids=["budget-3s", "budget-30s"])
def test_a_broker_out_of_reach_and_a_grace_period_shorter_than_the_delivery_timeout(
    example, client, budget, topic, leader, kafka_bootstrap, tmp_path
):
    """The grace period (8 s here, a short terminationGracePeriodSeconds) is far shorter than the delivery
    timeout (minutes). A handler whose budget fits the grace period purges and reports every record it could
    not deliver; one whose budget does not is killed by the SIGKILL and reports nothing."""
    example(HANDLERS[client])
    env = {"SHUTDOWN_TOPIC": topic, "SHUTDOWN_RECORDS": str(RECORDS), "SHUTDOWN_BUDGET_SECONDS": str(budget)}
    code, said, took, log = stopped_child(
        HANDLERS[client], env, tmp_path, signal.SIGTERM, before=leader.freeze, grace=GRACE
    )
    leader.thaw()
    stored = values_in(kafka_bootstrap, topic)
    if budget == 3:
        assert code == 0 and took < GRACE, log[-2000:]
        accounting = check_accounting(said, stored)
        assert accounting["left_after_flush"] > 0 and len(accounting["failed"]) >= RECORDS
        counts = {k: len(accounting[k]) for k in ("delivered", "failed", "not_taken")}
        errors = sorted(set(accounting["failed"].values()))
        print(f"\n{client}, budget {budget}s: exit 0 after {took:.2f}s; {counts}, errors {errors}, "
              f"{accounting['stored_but_failed']} failed but stored")  # fmt: skip
    else:
        assert code == -signal.SIGKILL, log[-2000:]
        assert [s.what for s in said] == ["queued"], "killed before it could report anything"
        print(f"\n{client}, budget {budget}s: SIGKILL after {took:.2f}s, nothing reported; {len(stored)} stored")
