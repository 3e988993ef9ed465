"""Every lab notebook runs top to bottom against the real cluster. The executed notebook (outputs and
pictures of this very run) is what the site renders: docs/labs/<lab>.ipynb.

Every wait is bounded (a timeout per cell, and pytest-timeout per lab), but how long a lab takes is not
asserted: on a shared 2-core machine that is a measurement, and the durations report shows it.

Progress bars (tqdm, on stderr) are for whoever runs the lab, in Jupyter or a terminal. The rendered page
shows results: the notebook written to docs/labs leaves out every stderr output made only of progress-bar
lines. Any other stderr output stays (tests/browser/test_lab_pictures.py fails on it)."""

import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("lab*.py"))
RENDERED = ROOT / "docs" / "labs"
# Bounds in seconds, per cell and per lab; lab 8 runs two soaks of 10 faults each.
CELL_TIMEOUT_S = {"lab08_chain_under_fire": 240}
LAB_TIMEOUT_S = {"lab08_chain_under_fire": 600}
LABS = [pytest.param(p, id=p.stem, marks=pytest.mark.timeout(LAB_TIMEOUT_S.get(p.stem, 300))) for p in NOTEBOOKS]
# One state of a tqdm bar: "desc:  50%|#####     | 3/6 [00:01<00:00,  3.06it/s]", or "desc: 12it [00:01, 9.9it/s]".
_CLOCK = r"(?:\d+:)?\d+:\d\d"
PROGRESS_LINE = re.compile(rf"^.*?(?:\d+%\|.*\|\s*)?\S+ \[{_CLOCK}(?:<(?:\?|{_CLOCK}))?(?:,[^\]]*)?\]$")


def is_progress(output: dict) -> bool:
    """True for a stderr stream output whose every line is a progress bar (a bar redrawn after \\r counts as a
    line), or that is blank (tqdm's closing newline)."""
    if output.get("output_type") != "stream" or output.get("name") != "stderr":
        return False
    lines = [line.strip() for line in re.split(r"[\r\n]", output.get("text", "")) if line.strip()]
    return all(PROGRESS_LINE.match(line) for line in lines)


def results_only(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of the executed notebook without its progress-bar outputs: what the lab page renders."""
    page = nbformat.from_dict(notebook)
    for cell in page.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not is_progress(o)]
    return page


def test_progress_bars_are_left_out_and_other_stderr_kept():
    bar = "acks=1:   0%|          | 0/6 [00:00<?, ?it/s]\racks=1: 100%|##########| 6/6 [00:09<00:00,  1.64s/it]\n"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("run()")]
    notebook.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=bar),
        nbformat.v4.new_output("stream", name="stderr", text="transactions: 5it [00:03,  1.52it/s]\n\n"),
        nbformat.v4.new_output("stream", name="stderr", text="\n"),
        nbformat.v4.new_output("stream", name="stdout", text="before: leader 2\n"),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: something the reader should see\n"),
        nbformat.v4.new_output("stream", name="stderr", text=bar + "%4|1700000000.123|FAIL|rdkafka#producer-1|\n"),
    ]
    kept = results_only(notebook).cells[0].outputs
    assert [o.get("text") for o in kept] == [o.text for o in notebook.cells[0].outputs[3:]]
    assert len(notebook.cells[0].outputs) == 6, "the executed notebook itself is left as it ran"


@pytest.mark.faults
@pytest.mark.parametrize("source", LABS)
def test_lab_runs_green(source: Path, kafka_cluster, monkeypatch, tmp_path):
    monkeypatch.setenv("KAFKALAB_STATE_DIR", str(kafka_cluster.state_dir))  # Cluster.attach() in the lab
    notebook = jupytext.read(source)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S.get(source.stem, 120),
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    )
    try:
        client.execute()
    finally:
        kafka_cluster.wait_healthy(timeout=90)  # even when a cell failed
        nbformat.write(notebook, tmp_path / f"{source.stem}.ipynb")  # kept for debugging a failure
    RENDERED.mkdir(exist_ok=True)
    nbformat.write(results_only(notebook), RENDERED / f"{source.stem}.ipynb")
