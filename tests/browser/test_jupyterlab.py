"""`make lab` in Chromium: a lab opened by double-click in JupyterLab's file browser is a notebook, and it
runs green from the UI against this run's cluster.

JupyterLab is started by the Makefile's own `lab` target, as a reader starts it, on a free port without
opening a browser; the test opens the URL it prints, token included. It serves a copy of notebooks/
(LAB_DIR), so that nothing JupyterLab writes can reach the source tree, and keeps its own files in the
test's folder (LAB_HOME). Chromium loads it offline: every request to another host is blocked and fails it.
Lab 1 pauses and kills brokers, so the test uses the fault cluster (`kafka_cluster`) like tests/labs, and
waits for it to be healthy again afterwards. JupyterLab and its kernel are stopped at the end, failed
test or not, and the test checks that no process of theirs is left.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import pytest

REPO = Path(__file__).resolve().parents[2]
LAB = "lab01_acks"
START_TIMEOUT_S = 120  # `make lab` until it prints the URL (a few seconds when warm)
RUN_TIMEOUT_S = 300  # Run All Cells until every code cell has run (lab 1 takes under a minute)
STOP_TIMEOUT_S = 30
POLL_MS = 500
# An exception in a cell: IPython prints its traceback as an error output, which JupyterLab renders like
# stderr (where tqdm's progress bars go too), so the text tells the two apart.
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s*\w+(Error|Exception)\b.*$", re.MULTILINE)

# The state of the notebook in the current tab, read from the DOM: each code cell's prompt ("[3]:" once it
# has run, "[*]:" while it runs), the text of its stderr/error outputs, and the pictures in its outputs.
NOTEBOOK_STATE = """panel => {
  const cells = [...panel.querySelectorAll(".jp-CodeCell")];
  return cells.map(cell => {
    const outputs = [...cell.querySelectorAll(".jp-OutputArea-output")];
    const pictures = outputs.flatMap(o => [...(o.matches("img, svg") ? [o] : []), ...o.querySelectorAll("img, svg")]);
    return {
      prompt: (cell.querySelector(".jp-InputPrompt")?.textContent ?? "").trim(),
      stderr: outputs.filter(o => o.dataset.mimeType === "application/vnd.jupyter.stderr").map(o => o.textContent),
      pictures: pictures.filter(p => p.tagName.toLowerCase() === "img"
        ? p.complete && p.naturalWidth > 0 : p.childElementCount > 0).length,
    };
  });
}"""


@dataclass
class JupyterLab:
    url: str  # what `make lab` printed: http://127.0.0.1:<port>/lab?token=...
    notebooks: Path  # the folder it serves (a copy of notebooks/)
    started_in_s: float  # from `make lab` to the URL printed
    output: list[str] = field(default_factory=list)  # make's and JupyterLab's output so far


_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _term_with_parent() -> None:
    """In the child before exec: SIGTERM when this test process dies, however it dies (make passes the SIGTERM
    on to JupyterLab, which shuts its kernels down). Set up before exec, so only kernel calls here."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes_mentioning(marker: str) -> dict[int, str]:
    """Live processes whose command line contains ``marker`` (the test's folder: make's LAB_DIR, JupyterLab's
    root dir, and each kernel's connection file in LAB_HOME/runtime all name it)."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            if marker in cmdline:
                found[int(proc.name)] = cmdline
    return found


def _stop(make: subprocess.Popen, marker: str) -> dict[int, str]:
    """SIGTERM to make's process group (make and JupyterLab, which shuts its kernels down first), bounded
    waits, then SIGKILL for whatever still names the test's folder (a kernel runs in a session of its own).
    Returns what was still running after the SIGTERM, and had to be killed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(make.pid, signal.SIGTERM)
    try:
        make.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(make.pid, signal.SIGKILL)
        make.wait(10)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while (left := _processes_mentioning(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


@pytest.fixture
def jupyterlab(kafka_cluster, tmp_path: Path) -> Iterator[JupyterLab]:
    """`make lab` on a copy of the labs, against the session's fault cluster; stopped at teardown."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for lab in (REPO / "notebooks").glob("lab*.py"):
        shutil.copy2(lab, notebooks)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}  # not `make test`'s
    env.pop("JUPYTER_TOKEN", None)  # JupyterLab makes one up and prints it in the URL
    env["KAFKALAB_STATE_DIR"] = str(kafka_cluster.state_dir)
    command = [
        "make",
        "--no-print-directory",
        "-o",
        ".venv/.installed",  # never reinstalls under a running test run, even when pyproject.toml is newer
        "lab",
        f"LAB_PORT={_free_port()}",
        "LAB_BROWSER=no",
        f"LAB_DIR={notebooks}",
        f"LAB_HOME={tmp_path / 'jupyter'}",
    ]
    started = time.monotonic()
    make = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=_term_with_parent,
    )
    output: list[str] = []
    url_printed = threading.Event()
    url_pattern = re.compile(r"http://127\.0\.0\.1:\d+/lab\?token=[0-9a-f]{32,}")

    def read() -> None:  # drains the pipe for as long as make runs, so JupyterLab never blocks on its log
        for line in make.stdout:
            output.append(line.rstrip("\n"))
            if url_pattern.search(line):
                url_printed.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    left: dict[int, str] = {}
    try:
        while not url_printed.wait(0.2):
            log = "\n".join(output[-40:])
            assert make.poll() is None, f"`make lab` exited with {make.returncode} before printing a URL:\n{log}"
            assert time.monotonic() - started < START_TIMEOUT_S, f"no URL from `make lab` in {START_TIMEOUT_S}s:\n{log}"
        url = next(m.group(0) for line in output if (m := url_pattern.search(line)))
        yield JupyterLab(url, notebooks, time.monotonic() - started, output)
    finally:
        left = _stop(make, marker=f"{tmp_path}/")
        reader.join(timeout=10)
        kafka_cluster.wait_healthy(timeout=90)  # even when a cell failed
    assert not left, f"still running after JupyterLab was stopped (killed now): {left}"


@pytest.mark.faults
@pytest.mark.timeout(START_TIMEOUT_S + RUN_TIMEOUT_S + 3 * STOP_TIMEOUT_S + 120)
def test_make_lab_opens_a_lab_as_a_notebook_and_runs_it_green(jupyterlab: JupyterLab, browser, new_page):
    code_cells = sum(cell.cell_type == "code" for cell in jupytext.read(jupyterlab.notebooks / f"{LAB}.py").cells)
    with new_page(browser) as (page, traffic):
        page.goto(jupyterlab.url)
        page.locator(".jp-DirListing-item", has_text=f"{LAB}.py").dblclick(timeout=60_000)  # JupyterLab loaded

        # The current tab is a notebook of the lab's cells, and no text editor opened.
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        panel.locator(".jp-Notebook-cell").first.wait_for()
        tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
        assert tab.inner_text() == f"{LAB}.py"
        assert page.locator(".jp-FileEditor").count() == 0, f"{LAB}.py opened in the text editor"
        kernel = page.locator(f'.jp-StatusBar-TextItem[title="Change kernel for {LAB}.py"]')
        page.wait_for_function("el => / \\| Idle$/.test(el.textContent.trim())", arg=kernel.element_handle())

        # Run > Run All Cells, then wait (bounded) until every code cell has run or one has failed.
        page.locator("#jp-MainMenu").get_by_role("menuitem", name="Run", exact=True).click()
        page.locator('li.lm-Menu-item[data-command="runmenu:run-all"]').click()
        started = time.monotonic()
        while True:
            cells = panel.evaluate(NOTEBOOK_STATE)
            errors = [text for cell in cells for text in cell["stderr"] if TRACEBACK.search(text)]
            ran = [c for c in cells if re.fullmatch(r"\[\d+\]:", c["prompt"])]
            if errors or (len(cells) == code_cells and len(ran) == code_cells):
                break
            assert time.monotonic() - started < RUN_TIMEOUT_S, (
                f"the lab did not finish in {RUN_TIMEOUT_S}s; prompts: {[c['prompt'] for c in cells]}"
            )
            page.wait_for_timeout(POLL_MS)
        ran_in_s = time.monotonic() - started

        assert errors == [], "a cell failed:\n" + "\n\n".join(errors)
        assert len(cells) == code_cells, f"the notebook shows {len(cells)} code cells, the lab has {code_cells}"
        pictures = sum(cell["pictures"] for cell in cells)
        assert pictures >= 1, "the lab's timeline picture (an img or svg output) did not appear"
        assert traffic.problems() == []
    prompts = " ".join(c["prompt"] for c in cells)
    print(f"`make lab` printed its URL in {jupyterlab.started_in_s:.1f}s; {LAB} ran in {ran_in_s:.1f}s ({prompts})")
