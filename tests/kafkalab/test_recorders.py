"""kafkalab.recorders: client log lines and delivery reports as timeline events. The log lines are recorded
(tests/kafkalab/recorded): an idempotent confluent-kafka producer (debug=msg) and a kafka-python producer,
each writing a warm-up record and then one record to a partition whose followers were frozen, so that
min.insync.replicas=2 refused it until the producer gave up."""

import logging
import threading
from pathlib import Path

from confluent_kafka import KafkaError

from kafkalab.lab import Timeline
from kafkalab.recorders import ClientLog, Deliveries, Delivery, Polling, Rule

RECORDED = Path(__file__).parent / "recorded"
REFUSED = Rule(r"encountered error: (.*?) \(actions", "refused, retrying", again="")
SENDS = Rule(r"Produce MessageSet .*?(BaseSeq -?\d+, PID\{[^}]*\})", "sends produce request")


def feed(log: ClientLog, name: str) -> None:
    logger = log.logger()
    for line in (RECORDED / name).read_text().splitlines():
        logger.debug(line)


def test_each_rule_puts_its_lines_on_the_timeline_with_the_first_group_as_detail():
    timeline = Timeline()
    log = ClientLog(timeline, "client", [SENDS, REFUSED])
    feed(log, "librdkafka-debug-msg.log")
    assert len(log.lines) == 13, "every line kept"
    assert log.found["sends produce request"][:2] == [
        "BaseSeq 0, PID{Id:1000,Epoch:0}",
        "BaseSeq 1, PID{Id:1000,Epoch:0}",
    ]
    assert set(log.found["sends produce request"][1:]) == {"BaseSeq 1, PID{Id:1000,Epoch:0}"}, "a retry: same sequence"
    assert log.found["refused, retrying"] == ["Broker: Not enough in-sync replicas"] * 4
    refusals = [e for e in timeline.sorted() if e.detail == "Broker: Not enough in-sync replicas"]
    assert [e.what for e in refusals] == ["refused, retrying", "", "", ""], "the first labelled, the retries dots"
    assert all(e.lane == "client" for e in timeline.events)


def test_kafka_pythons_sender_lines_through_a_named_logger():
    timeline = Timeline()
    log = ClientLog(
        timeline, "client", [Rule(r"Got error produce response .*?: (\w+Error)", "batch failed, will retry")]
    )
    with log.attached("kafkalab.test.sender"):
        sender = logging.getLogger("kafkalab.test.sender")
        assert sender.level == logging.DEBUG
        for line in (RECORDED / "kafka-python-sender.log").read_text().splitlines():
            sender.debug(line)
    assert logging.getLogger("kafkalab.test.sender").level == logging.NOTSET, "put back as it was"
    assert log.found["batch failed, will retry"] == ["NotEnoughReplicasError", "NotEnoughReplicasError"]
    assert [e.what for e in timeline.events] == ["batch failed, will retry"] * 2, "again=None repeats the label"


def test_without_a_timeline_it_only_keeps_the_lines():
    log = ClientLog()
    feed(log, "librdkafka-debug-msg.log")
    assert log.lines[-1].startswith("TIMEOUT") and log.found == {}
    assert not log.logger().propagate, "librdkafka's lines stay off the root logger (and stderr)"


class _Msg:
    def __init__(self, value: bytes, offset: int) -> None:
        self._value, self._offset = value, offset

    def value(self) -> bytes:
        return self._value

    def offset(self) -> int:
        return self._offset


def test_confluent_kafka_delivery_reports_become_events():
    timeline = Timeline()
    reports = Deliveries(timeline, "b: acks=all")
    reports(None, _Msg(b"order-b", 4))
    reports(KafkaError(KafkaError.NOT_ENOUGH_REPLICAS), _Msg(b"order-b-once", -1001))
    ok, failed = reports.reports
    assert (ok.ok, ok.offset, failed.ok, failed.offset) == (True, 4, False, None)
    assert failed.error.code() == KafkaError.NOT_ENOUGH_REPLICAS
    assert [(e.lane, e.what, e.detail) for e in timeline.sorted()] == [
        ("b: acks=all", "order-b acknowledged", "offset 4"),
        ("b: acks=all", "order-b-once failed: NOT_ENOUGH_REPLICAS", failed.error.str()),
    ]
    assert reports.first(0) == ok


class _Future:
    """What kafka-python's FutureRecordMetadata offers: callbacks run when the send completes."""

    def __init__(self) -> None:
        self.callbacks, self.errbacks = [], []

    def add_callback(self, f):
        self.callbacks.append(f)
        return self

    def add_errback(self, f):
        self.errbacks.append(f)
        return self


def test_kafka_python_sends_are_tracked_through_their_futures():
    reports = Deliveries()
    done, failed = reports.track(_Future(), b"payment-1"), reports.track(_Future(), b"payment-2")
    done.callbacks[0](type("Metadata", (), {"offset": 7})())
    failed.errbacks[0](TimeoutError("no leader"))
    assert [(d.value, d.offset, d.error_name) for d in reports.reports] == [
        (b"payment-1", 7, ""),
        (b"payment-2", None, "TimeoutError"),
    ]
    assert reports.reports[1].label() == "payment-2 failed: TimeoutError"


def test_first_waits_a_bounded_time_for_a_report():
    reports = Deliveries()
    assert reports.first(0.1) is None
    threading.Timer(0.1, reports.add, [Delivery(1.0, b"x", 0)]).start()
    assert reports.first(5).value == b"x"


def test_polling_serves_every_client_until_it_stops():
    class Client:
        polls = 0

        def poll(self, timeout):
            Client.polls += 1

    with Polling(Client(), Client(), every=0.01):
        threading.Event().wait(0.2)
    served = Client.polls
    threading.Event().wait(0.05)
    assert served >= 4 and Client.polls == served
