"""The site builds with `mkdocs build --strict`: no warning, no missing snippet, no broken link."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_mkdocs_build_strict(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "site" / "index.html").exists()
