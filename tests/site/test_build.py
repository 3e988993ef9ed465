"""The site builds with `mkdocs build --strict`: no warning, no missing snippet, no broken link."""

from pathlib import Path


def test_mkdocs_build_strict(built_site: Path):
    assert (built_site / "index.html").exists()
    assert (built_site / "search" / "search_index.json").exists()
