"""Kafka's own command-line tools (TopicCommand, DumpLogSegments, ...), run from the resolved jars.

One runner for every JVM tool the project starts: the labs, kafkalab itself, the docs hooks, the
benchmarks and the tests. Each run is bounded by a timeout and fails with a message that says which
tool failed, how, and the tail of what it printed.

>>> run_tool("TopicCommand", "--bootstrap-server", "127.0.0.1:9092", "--list").stdout  # doctest: +SKIP
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from .errors import KafkalabError
from .runtime import java_executable, resolved

# Short names of the tools the project runs: (runtime part whose jars it needs, main class).
TOOLS: dict[str, tuple[str, str]] = {
    "TopicCommand": ("tools", "org.apache.kafka.tools.TopicCommand"),
    "DumpLogSegments": ("tools", "org.apache.kafka.tools.DumpLogSegments"),
    "ProducerPerformance": ("tools", "org.apache.kafka.tools.ProducerPerformance"),
    "ConfigCommand": ("broker", "kafka.admin.ConfigCommand"),
    "ProducerConfig": ("clients", "org.apache.kafka.clients.producer.ProducerConfig"),
}
TAIL_CHARS = 3000  # how much of a failed tool's output an error carries


class ToolFailed(KafkalabError):
    """A Kafka tool exited with an error or did not finish in time; carries what it printed."""

    def __init__(self, message: str, command: list[str], stdout: str, stderr: str, returncode: int | None) -> None:
        super().__init__(message)
        self.command, self.stdout, self.stderr, self.returncode = command, stdout, stderr, returncode


def tool_command(main: str | Path, *args: str, part: str | None = None, jvm_args: Sequence[str] = ()) -> list[str]:
    """The command line that runs `main` with the runtime's jars on the classpath.

    `main` is a short name from TOOLS, a fully qualified main class (its jars: `part`, default
    "tools"), or a single-file Java program (a path ending in .java, run by the java launcher
    against the "clients" jars unless `part` says otherwise; that needs a JDK, not only a JRE)."""
    if isinstance(main, str) and main in TOOLS:
        known_part, main = TOOLS[main]
        part = part or known_part
    elif str(main).endswith(".java"):
        if not Path(main).is_file():
            raise ToolFailed(f"no Java program at {main}", [str(main)], "", "", None)
        part = part or "clients"
    elif "." not in str(main):
        raise ToolFailed(
            f"unknown Kafka tool {main!r}: name one of {sorted(TOOLS)}, a fully qualified main class "
            "or a .java file",
            [str(main)], "", "", None,
        )  # fmt: skip
    return [java_executable(), *jvm_args, "-cp", resolved().classpath(part or "tools"), str(main), *args]


def run_tool(
    main: str | Path,
    *args: str,
    part: str | None = None,
    jvm_args: Sequence[str] = (),
    timeout: float = 60.0,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a Kafka tool to its end and return what it printed (stdout, stderr, returncode).

    Raises ToolFailed when it runs longer than `timeout` seconds (it is killed), and, with `check`
    (the default), when it exits with an error. RuntimeMissing when Java or the jars are missing."""
    command = tool_command(main, *args, part=part, jvm_args=jvm_args)
    name = Path(main).name if str(main).endswith(".java") else str(main).rsplit(".", 1)[-1]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except OSError as e:
        raise ToolFailed(f"cannot start {name} ({command[0]}): {e}", command, "", "", None) from e
    except subprocess.TimeoutExpired as e:
        out, err = _text(e.stdout), _text(e.stderr)
        raise ToolFailed(
            f"{name} did not finish within {timeout:g}s and was stopped; its output so far:\n{_tail(out, err)}",
            command, out, err, None,
        ) from None  # fmt: skip
    if check and done.returncode != 0:
        raise ToolFailed(
            f"{name} failed (exit {done.returncode}):\n{_tail(done.stdout, done.stderr)}",
            command, done.stdout, done.stderr, done.returncode,
        )  # fmt: skip
    return done


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


def _tail(stdout: str, stderr: str) -> str:
    return (stderr.strip() or stdout.strip() or "(nothing)")[-TAIL_CHARS:]
