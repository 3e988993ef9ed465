"""Lab pages: the build of this run renders every lab executed; a build without executed labs still works.

``built_site`` is built after tests/labs ran in the same session (the root conftest.py orders the labs
first and the site checks after them), so in ``make test`` and in the publishing build no lab page may
carry the "not been run" note of docs/hooks/unexecuted_labs.py. The hook's own behaviour (an unexecuted
copy with the note where the executed notebook is missing or half-written, a failure under
FIELD_GUIDE_REQUIRE_EXECUTED_LABS=1) is checked on temporary folders, without a cluster.
"""

import importlib.util
import os
from pathlib import Path

import jupytext
import nbformat
import pytest
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

ROOT = Path(__file__).parents[2]
LABS = sorted((ROOT / "notebooks").glob("lab*.py"))
LAB01 = ROOT / "notebooks" / "lab01_acks.py"


def _hook():
    spec = importlib.util.spec_from_file_location("unexecuted_labs", ROOT / "docs" / "hooks" / "unexecuted_labs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = _hook()


@pytest.mark.parametrize("source", LABS, ids=lambda p: p.stem)
def test_built_lab_page_is_the_executed_lab(built_site: Path, source: Path):
    page = built_site / "labs" / source.stem / "index.html"
    html = page.read_text(encoding="utf-8")
    assert hook.NOTE_MARK not in html and hook.NOT_RUN not in html, f"{source.stem} rendered unexecuted"
    assert 'class="jp-OutputArea-child"' in html, f"{source.stem}: the rendered page shows no cell output"


@pytest.fixture
def lab_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A docs folder and a notebooks folder holding lab01 only; the unexecuted copies go under tmp_path."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / LAB01.name).write_text(LAB01.read_text())
    (tmp_path / "docs" / "labs").mkdir(parents=True)
    monkeypatch.setattr(hook, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(hook, "UNEXECUTED", tmp_path / "unexecuted")
    monkeypatch.delenv(hook.REQUIRE_ENV, raising=False)
    monkeypatch.delenv(hook.LOG_ENV, raising=False)
    return tmp_path


def _config(tree: Path) -> dict:
    return {"docs_dir": str(tree / "docs"), "site_dir": str(tree / "site"), "use_directory_urls": True}


def test_a_missing_lab_becomes_an_unexecuted_copy_with_the_note(lab_tree: Path):
    files = hook.on_files(Files([]), _config(lab_tree))
    page = files.get_file_from_path("labs/lab01_acks.ipynb")
    assert page is not None
    assert Path(page.abs_src_path) == lab_tree / "unexecuted" / "labs" / "lab01_acks.ipynb"
    notebook = nbformat.read(page.abs_src_path, as_version=4)
    assert hook.NOT_RUN in notebook.cells[0].source and "make labs" in notebook.cells[0].source
    source = jupytext.read(LAB01)
    assert [c.source for c in notebook.cells[1:]] == [c.source for c in source.cells]
    assert all(not c.get("outputs") for c in notebook.cells)


def test_the_note_names_the_background_log_under_make_serve(lab_tree: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(hook.LOG_ENV, ".cache/labs-serve.log")
    page = hook.on_files(Files([]), _config(lab_tree)).get_file_from_path("labs/lab01_acks.ipynb")
    first = nbformat.read(page.abs_src_path, as_version=4).cells[0].source
    assert hook.NOT_RUN in first and ".cache/labs-serve.log" in first


def test_an_executed_lab_is_left_alone(lab_tree: Path):
    executed = lab_tree / "docs" / "labs" / "lab01_acks.ipynb"
    nbformat.write(jupytext.read(LAB01), executed)
    os.utime(lab_tree / "notebooks" / LAB01.name, (1_000_000_000, 1_000_000_000))  # the lab ran after its last edit
    assert hook.unexecuted_labs(lab_tree / "docs") == {}
    assert hook.on_files(Files([]), _config(lab_tree)).get_file_from_path("labs/lab01_acks.ipynb") is None


def test_a_half_written_executed_lab_counts_as_missing(lab_tree: Path):
    text = nbformat.writes(jupytext.read(LAB01))
    (lab_tree / "docs" / "labs" / "lab01_acks.ipynb").write_text(text[: len(text) // 2])
    assert hook.unexecuted_labs(lab_tree / "docs") == {"lab01_acks": hook.NOT_RUN}


def test_an_executed_lab_older_than_its_source_is_shown_unexecuted(lab_tree: Path):
    executed = lab_tree / "docs" / "labs" / "lab01_acks.ipynb"
    nbformat.write(jupytext.read(LAB01), executed)
    source = lab_tree / "notebooks" / LAB01.name
    os.utime(executed, (1_000_000_000, 1_000_000_000))
    assert hook.unexecuted_labs(lab_tree / "docs") == {"lab01_acks": hook.CHANGED}
    page = hook.on_files(Files([]), _config(lab_tree)).get_file_from_path("labs/lab01_acks.ipynb")
    assert Path(page.abs_src_path) != executed and source.stat().st_mtime > executed.stat().st_mtime
    assert hook.CHANGED in nbformat.read(page.abs_src_path, as_version=4).cells[0].source


def test_the_publishing_switch_fails_on_a_missing_lab(lab_tree: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(hook.REQUIRE_ENV, "1")
    with pytest.raises(PluginError, match="lab01_acks"):
        hook.on_files(Files([]), _config(lab_tree))
