"""kafkalab.child: a lab's child process reports its steps as JSON lines; the lab reads them back. Parsed from
output recorded from the labs' own children (notebooks/children), and run for real."""

import signal
import time
from pathlib import Path

import pytest

from kafkalab import KafkalabError, pid_alive
from kafkalab.child import Said, parse, run_child
from kafkalab.lab import Timeline

RECORDED = Path(__file__).parent / "recorded"


def test_the_steps_are_read_in_order_with_their_details():
    said = parse((RECORDED / "child-producer-kafka-python-return.txt").read_text())
    assert [s.what for s in said] == ["producer created", "early acknowledged", "late sent", "return from main"]
    assert said[0].details == {"atexit_before": 1, "atexit_after": 2}, "kafka-python registered an exit handler"
    assert said[-1].text() == "acked 10" and said[0].at < said[-1].at


def test_other_output_is_passed_over():
    text = (RECORDED / "child-consumer-process-then-commit.txt").read_text()
    said = parse("a warning printed by some library\n" + text + '{"not": "a step"}\n[1, 2]\n')
    assert [s.what for s in said] == [
        "polled",
        "processed",
        "committed",
        "processed",
        "committed",
        "processed",
        "crash",
    ]
    assert said[0].details["offsets"] == [0, 1, 2, 3, 4] and said[-1].details == {"committed": 2}


def test_a_child_runs_to_its_end_and_goes_on_the_timeline(tmp_path):
    program = tmp_path / "child.py"
    program.write_text(
        "import os, sys\nfrom kafkalab.child import say\nsay('started', args=sys.argv[1:])\n"
        "print('noise', file=sys.stderr)\nsay('leaving', code=3)\nos._exit(3)\n"
    )
    run = run_child(program, "a", 2, timeout=30)
    assert run.returncode == 3 and run.stderr == "noise\n"
    assert run.first("started").details == {"args": ["a", "2"]} and run.all("leaving")[0].details == {"code": 3}
    timeline = Timeline()
    run.put_on(timeline, "child", detail=lambda s: s.what.upper())
    assert [(e.what, e.detail) for e in timeline.sorted()] == [
        ("child started", ""),
        ("started", "STARTED"),
        ("leaving", "LEAVING"),
        ("child exited (3)", ""),
    ]
    with pytest.raises(KafkalabError, match=r"never said 'flushed' \(it said \['started', 'leaving'\], exit code 3\)"):
        run.first("flushed")


def test_a_child_is_bounded(tmp_path):
    program = tmp_path / "sleeper.py"
    program.write_text("import time\ntime.sleep(30)\n")
    with pytest.raises(KafkalabError, match="ran longer than 1s and was killed"):
        run_child(program, timeout=1)
    with pytest.raises(KafkalabError, match="no child program"):
        run_child(tmp_path / "missing.py")


def test_a_child_leaves_no_process_behind(tmp_path):
    program = tmp_path / "parent.py"
    program.write_text(
        "import subprocess, sys\nfrom kafkalab.child import say\n"
        "left = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "say('left behind', pid=left.pid)\n"
    )
    started = time.monotonic()
    run = run_child(program, timeout=30)
    assert time.monotonic() - started < 20  # its output is read without waiting for the orphan
    orphan = run.first("left behind").details["pid"]
    deadline = time.monotonic() + 10
    while pid_alive(orphan) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(orphan)  # killed with the child's process group


def test_a_child_can_be_stopped_with_sigint_even_when_this_process_ignores_it(tmp_path):
    """A shell ignores SIGINT in what it starts in the background, and exec() keeps that: the child must not."""
    program = tmp_path / "disposition.py"
    program.write_text(
        "import signal\nfrom kafkalab.child import say\n"
        "say('sigint', ignored=signal.getsignal(signal.SIGINT) == signal.SIG_IGN)\n"
    )
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        run = run_child(program, timeout=30)
    finally:
        signal.signal(signal.SIGINT, before)
    assert run.first("sigint").details == {"ignored": False}


def test_said_text_joins_the_details():
    assert Said(0.0, "x", {"acked": 10, "offset": 4}).text() == "acked 10, offset 4"
