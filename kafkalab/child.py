"""A lab's child process, and what it tells the lab.

Some stories need a real process: a producer whose process ends (lab 5), a consumer that crashes
(lab 6). The lab runs a small program in a fresh interpreter (`run_child`); the program reports each
step with `say()`, one JSON line on stdout with the wall-clock time, and the lab reads the steps
back (`ChildRun.said`) and draws them (`ChildRun.put_on`):

    # in the child program
    from kafkalab.child import say
    say("late sent", acked=len(acked))

    # in the lab
    run = run_child(CHILDREN / "producer_exit.py", "flush", BOOTSTRAP, topic)
    run.first("late sent").details["acked"]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import KafkalabError

if TYPE_CHECKING:
    from .lab import Timeline


def say(what: str, **details: Any) -> None:
    """In the child: report one step, with details the lab reads (numbers, strings, lists)."""
    print(json.dumps({"at": time.time(), "what": what, **details}), flush=True)


@dataclass(frozen=True)
class Said:
    at: float
    what: str
    details: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """The details as a timeline detail: "acked 10, offset 4"."""
        return ", ".join(f"{k} {v}" for k, v in self.details.items())


def parse(stdout: str) -> list[Said]:
    """The steps a child reported, in order; every other line of its output is passed over."""
    said = []
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and {"at", "what"} <= record.keys():
            at, what = record.pop("at"), record.pop("what")
            said.append(Said(float(at), str(what), record))
    return said


@dataclass(frozen=True)
class ChildRun:
    """How a child process ended and what it said on the way."""

    args: list[str]
    returncode: int
    said: list[Said]
    stderr: str
    started: float
    ended: float

    def all(self, what: str) -> list[Said]:
        return [s for s in self.said if s.what == what]

    def first(self, what: str) -> Said:
        """The first step called `what`; a clear error (with the child's stderr) if it never said it."""
        for s in self.said:
            if s.what == what:
                return s
        raise KafkalabError(
            f"the child {self.args} never said {what!r} (it said {[s.what for s in self.said]}, exit code "
            f"{self.returncode}); its stderr ends:\n{self.stderr[-2000:]}"
        )

    def put_on(self, timeline: Timeline, lane: str, detail: Callable[[Said], str] = Said.text) -> None:
        """Record the run on the timeline: its start, each step at the time the child took it, its exit."""
        timeline.record(lane, "child started", at=self.started)
        for s in self.said:
            timeline.record(lane, s.what, detail(s), at=s.at)
        timeline.record(lane, f"child exited ({self.returncode})", at=self.ended)


def run_child(program: str | Path, *args: object, timeout: float = 60.0) -> ChildRun:
    """Run a Python program in a new interpreter (this one's executable) to its end, bounded by
    `timeout` seconds (then it is killed and this raises), and collect what it said."""
    command = [sys.executable, str(program), *map(str, args)]
    if not Path(program).is_file():
        raise KafkalabError(f"no child program at {program}")
    started = time.time()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        raise KafkalabError(
            f"the child {command[1:]} ran longer than {timeout:g}s and was killed:\n{err[-2000:]}"
        ) from None
    return ChildRun(command[1:], done.returncode, parse(done.stdout), done.stderr, started, time.time())
