"""MkDocs hook: the site builds even where the labs have not been executed.

The lab pages render ``docs/labs/<lab>.ipynb``, the notebook that ``tests/labs`` (``make labs``) executed
against a cluster. Where that file is missing, unreadable (a background run is writing it) or not newer
than ``notebooks/<lab>.py`` (the lab changed since it ran), this hook gives the build an unexecuted copy
instead, converted by jupytext into ``.cache/unexecuted-labs/labs/<lab>.ipynb``: the lab's text and code,
no outputs, and a note at the top saying so. The copy never goes into ``docs/labs``, so ``make labs``
still sees the lab as not run, and ``mkdocs serve`` reloads when the executed one appears.

``FIELD_GUIDE_REQUIRE_EXECUTED_LABS=1`` (the publishing build sets it) makes such a lab stop the
build instead. ``FIELD_GUIDE_LABS_LOG`` (set by ``make serve``) names the log of the labs
running in the background, and the note says so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jupytext
import nbformat
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
UNEXECUTED = REPO / ".cache" / "unexecuted-labs"
REQUIRE_ENV = "FIELD_GUIDE_REQUIRE_EXECUTED_LABS"
LOG_ENV = "FIELD_GUIDE_LABS_LOG"
NOTE_MARK = "field-guide-unexecuted-lab"
NOT_RUN = "This lab has not been run on this machine yet"
CHANGED = "This lab has changed since it was last run on this machine"


def note_html(log: str | None, title: str = NOT_RUN) -> str:
    """The note at the top of an unexecuted lab page (one HTML block: Jupyter's Markdown renders it too)."""
    if log:
        how = (
            f"<code>make serve</code> is running it now in the background (progress: <code>{log}</code>); "
            "this page fills in with the lab's outputs and pictures when it finishes."
        )
    else:
        how = "run <code>make labs</code> (it starts the lab cluster) to see its outputs and pictures here."
    return (
        f'<div class="admonition warning {NOTE_MARK}">'
        f'<p class="admonition-title">{title}</p>'
        f"<p>Below are the lab's text and code without their outputs: {how}</p></div>"
    )


def executed(path: Path) -> bool:
    """True when ``path`` is a complete notebook file (a run that is still writing it is not)."""
    try:
        nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))
    except (OSError, ValueError, json.JSONDecodeError, nbformat.ValidationError):
        return False
    return True


def unexecuted_labs(docs_dir: Path) -> dict[str, str]:
    """The labs (stems of ``notebooks/lab*.py``) that ``docs/labs`` has no usable executed notebook of,
    each with the note's title: :data:`NOT_RUN`, or :data:`CHANGED` when the executed notebook is not
    newer than its source (the rule ``make labs`` uses to re-run a lab)."""
    found = {}
    for source in sorted(NOTEBOOKS.glob("lab*.py")):
        rendered = docs_dir / "labs" / f"{source.stem}.ipynb"
        if not executed(rendered):
            found[source.stem] = NOT_RUN
        elif rendered.stat().st_mtime <= source.stat().st_mtime:
            found[source.stem] = CHANGED
    return found


def write_unexecuted(source: Path, target: Path, log: str | None, title: str = NOT_RUN) -> Path:
    """Convert ``source`` (a jupytext percent script) to an output-free notebook with the note first."""
    notebook = jupytext.read(source)
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell(note_html(log, title)))
    target.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(notebook)
    if not target.is_file() or target.read_text(encoding="utf-8") != text:  # unchanged: keep mkdocs-jupyter's cache
        target.write_text(text, encoding="utf-8")
    return target


@event_priority(100)  # before mkdocs-jupyter's on_files turns the .ipynb files into pages
def on_files(files: Files, config: MkDocsConfig) -> Files:
    docs_dir = Path(config["docs_dir"])
    missing = unexecuted_labs(docs_dir)
    if missing and os.environ.get(REQUIRE_ENV) == "1":
        raise PluginError(
            f"{REQUIRE_ENV}=1 and these labs have no executed notebook in docs/labs newer than their source: "
            f"{', '.join(missing)}. Run them first (make labs, or pytest tests/labs)."
        )
    log = os.environ.get(LOG_ENV) or None
    for lab, title in missing.items():
        src_uri = f"labs/{lab}.ipynb"
        if files.get_file_from_path(src_uri) is not None:
            files.remove(files.get_file_from_path(src_uri))  # half-written, or older than its source
        write_unexecuted(NOTEBOOKS / f"{lab}.py", UNEXECUTED / "labs" / f"{lab}.ipynb", log, title)
        # A File with its own src_dir, not File.generated(): mkdocs-jupyter's wrapper recomputes abs_src_path
        # from src_dir, which a generated file does not have.
        files.append(
            File(
                src_uri,
                src_dir=str(UNEXECUTED),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files
