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

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

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
    `timeout` seconds (then it is killed and this raises), and collect what it said. The child runs in
    its own process group, and the whole group is killed when it ends: no process it started (a pool's
    workers, a worker stuck on a lock) outlives the run, even when this one is interrupted."""
    command = [sys.executable, str(program), *map(str, args)]
    if not Path(program).is_file():
        raise KafkalabError(f"no child program at {program}")
    started = time.time()
    # Output goes to files, not pipes: a process the child left behind may hold them open.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        with _sigint_as_default():
            process = subprocess.Popen(command, stdout=out, stderr=err, start_new_session=True)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid)
            process.wait()
            raise KafkalabError(
                f"the child {command[1:]} ran longer than {timeout:g}s and was killed:\n{_read(err)[-2000:]}"
            ) from None
        finally:
            _kill_group(process.pid)
            if process.poll() is None:  # interrupted while waiting
                process.kill()
                process.wait()
        return ChildRun(command[1:], process.returncode, parse(_read(out)), _read(err), started, time.time())


@contextlib.contextmanager
def _sigint_as_default() -> Iterator[None]:
    """While a child is started: SIGINT at its default action, if this process ignores it. exec() keeps an
    ignored signal ignored, and a shell ignores SIGINT in what it starts in the background (`cmd &`), so a
    test run started that way would hand a child a SIGINT it could not be stopped with."""
    ignored = (
        threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    )
    if ignored:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        yield
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def _read(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode(errors="replace")


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server running as a child process in its own process group (a web server and its workers)."""

    def __init__(self, process: subprocess.Popen, log: Path, url: str | None = None) -> None:
        self.process, self.log, self.url = process, log, url

    @property
    def pid(self) -> int:
        return self.process.pid

    def terminate(self) -> None:
        """SIGTERM to the server's main process, as an orchestrator stops a container."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def serve(
    command: Sequence[str],
    *,
    ready: Callable[[], bool],
    log: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    ready_within: float = 30.0,
    stop_within: float = 15.0,
    url: str | None = None,
) -> Iterator[Server]:
    """Start `command` in a new process group (output to `log`), wait until `ready()` is true (bounded by
    `ready_within`), and always stop it: SIGTERM to the group, then SIGKILL to the group if it has not
    exited within `stop_within` seconds. Raises if the server exits or is not ready in time. `url`, where it
    answers, is kept on the Server for its callers."""
    with open(log, "wb") as out, _sigint_as_default():
        process = subprocess.Popen(
            list(command),
            env=os.environ | (env or {}),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
    server = Server(process, log, url)
    try:
        deadline = time.monotonic() + ready_within
        while not ready():
            if process.poll() is not None:
                raise KafkalabError(f"{command} exited with {process.returncode}: {server.output()[-2000:]}")
            if time.monotonic() > deadline:
                raise KafkalabError(f"{command} not ready within {ready_within:g}s: {server.output()[-2000:]}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(stop_within)
        _kill_group(process.pid)  # workers left behind by a main process that exited
        process.wait(5)
