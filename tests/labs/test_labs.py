"""Every lab notebook runs top to bottom against the real cluster. The executed notebook (outputs and
pictures of this very run) is what the site renders: docs/labs/<lab>.ipynb.

Every wait is bounded (a timeout per cell, and pytest-timeout per lab), but how long a lab takes is not
asserted: on a shared 2-core machine that is a measurement, and the durations report shows it."""

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
    nbformat.write(notebook, RENDERED / f"{source.stem}.ipynb")
