"""The asyncio pitfalls, reproduced: a blocked loop, futures that wait for a poll, a producer bound to
another loop, a cancelled await, a producer never closed, and AIOProducer under asyncio's debug mode."""

import asyncio
import gc
import time
import warnings

import pytest

from kafkalab.lab import read_partition, wait_until


def test_flush_on_the_loop_stops_the_loop_for_as_long_as_it_waits(example, kafka_topic):
    lab = example("01_blocking_flush.py")
    waiting = lab.main(kafka_topic, count=0)  # the flush waits 1.5 s for the cluster
    busy = lab.main(kafka_topic, count=50_000)  # the flush sends 50,000 records

    assert waiting["on_loop"]["flush"] >= 1.2
    assert waiting["on_loop"]["max_lag"] >= 1.2  # the heartbeat slept through the whole flush
    assert waiting["in_executor"]["flush"] >= 1.2
    assert waiting["in_executor"]["max_lag"] < 0.5  # in an executor the loop kept running (0.26 s seen at load 10)
    assert waiting["in_executor"]["ticks"] > 2 * waiting["on_loop"]["ticks"]
    on_loop = busy["on_loop"]
    assert on_loop["remaining"] == 0 and busy["in_executor"]["remaining"] == 0
    assert on_loop["max_lag"] >= 0.9 * on_loop["flush"] - lab.TICK  # the loop's lag is the flush's duration
    print(
        f"\n50,000 records: flush {on_loop['flush']:.3f}s on the loop, max lag {on_loop['max_lag']:.3f}s; "
        f"in an executor flush {busy['in_executor']['flush']:.3f}s, max lag {busy['in_executor']['max_lag']:.3f}s"
    )


def test_aioproducer_future_waits_for_the_buffer_timer(example, kafka_topic, kafka_bootstrap):
    waited = example("02_aioproducer_futures.py").main(kafka_topic)

    assert 1.0 <= waited < 5.0, f"{waited:.2f}s"  # buffer_timeout=1.0 s of inactivity, then a later poll
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 1
    print(f"\none awaited AIOProducer send without flush(): {waited:.2f}s")


def test_aioproducer_futures_never_complete_under_steady_traffic(example, kafka_topic, kafka_bootstrap):
    result = asyncio.run(example("02_aioproducer_futures.py").steady_traffic(kafka_topic))

    assert result["sent"] >= 14
    assert result["during"] == 0  # a record every 0.25 s keeps resetting the 1 s inactivity timer
    assert result["buffered"] == result["sent"]  # none has even reached librdkafka
    assert result["after_flush"] == result["sent"]
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == result["sent"]


def test_producers_created_outside_a_running_loop_refuse(example):
    errors = example("03_outside_the_loop.py").main()

    assert errors["AIOProducer"] == "no running event loop"
    assert errors["AIOKafkaProducer"] == "There is no current event loop in thread 'MainThread'."


def test_aioproducer_from_a_finished_loop_never_completes_on_its_own(example, kafka_topic, kafka_bootstrap):
    outcome = example("03_outside_the_loop.py").second_loop(kafka_topic)

    assert outcome == {"completed_in_3s": False, "buffered": 1, "after_flush": True}  # its timer died with loop 1
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 1


def test_aiokafka_from_a_finished_loop_fails(example, kafka_topic):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        error = example("03_outside_the_loop.py").aiokafka_second_loop(kafka_topic)

    assert "attached to a different loop" in error


def read_back(bootstrap: str, topic: str, count: int) -> list:
    return wait_until(lambda: (r := read_partition(bootstrap, topic)) and len(r) >= count and r, 15, f"{count} records")


def test_cancelled_aioproducer_await_is_written_anyway(example, kafka_topic, kafka_bootstrap):
    cancelled = asyncio.run(example("04_cancellation.py").aioproducer_cancelled(kafka_topic))

    assert cancelled is True  # wait_for() cancelled the delivery future itself
    assert [r.value() for r in read_back(kafka_bootstrap, kafka_topic, 1)] == [b"cancelled by a timeout"]


def test_cancelled_aiokafka_await_is_written_anyway(example, kafka_topic, kafka_bootstrap):
    cancelled = asyncio.run(example("04_cancellation.py").aiokafka_cancelled(kafka_topic))

    assert cancelled is True
    assert [r.value() for r in read_back(kafka_bootstrap, kafka_topic, 1)] == [b"cancelled by a timeout"]


def lost_after_exit(bootstrap: str, topic: str, produced: int) -> tuple[int, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    time.sleep(2)  # anything that could still leave would be in the log by now
    return produced - len(read_partition(bootstrap, topic)), [str(w.message) for w in caught]


def test_aioproducer_never_closed_loses_everything_it_buffered(example, kafka_topic, kafka_bootstrap):
    buffered = asyncio.run(example("05_never_closed.py").aioproducer_never_closed(kafka_topic, 100))
    lost, _ = lost_after_exit(kafka_bootstrap, kafka_topic, 100)

    assert buffered == 100
    assert lost == 100


def test_aiokafka_never_stopped_loses_what_was_not_sent(example, kafka_topic, kafka_bootstrap, caplog):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        asyncio.run(example("05_never_closed.py").aiokafka_never_stopped(kafka_topic, 100))
        lost, _ = lost_after_exit(kafka_bootstrap, kafka_topic, 100)

    assert lost == 100
    assert "Unclosed AIOKafkaProducer" in caplog.text  # logged through the loop's exception handler


@pytest.mark.parametrize("debug", [False, True], ids=["normal", "debug"])
def test_aioproducer_under_asyncio_debug_mode_never_wakes_the_awaiting_handler(
    example, kafka_topic, kafka_bootstrap, debug
):
    outcome = example("06_debug_mode.py").main(kafka_topic, debug=debug)

    assert outcome["future_done"] is True  # the record was delivered and its future has its result
    if debug:
        assert outcome["flush_error"] == "Non-thread-safe operation invoked on an event loop other than the current one"
        assert outcome["handler_woken"] is False  # the wake-up was refused: only its own timeout ends the wait
    else:
        assert outcome["flush_error"] is None
        assert outcome["handler_woken"] is True
    assert len(read_partition(kafka_bootstrap, kafka_topic)) == 1
