"""No untested Python on the site: each Python block is an include of a tested example, or it is run
here by pytest-examples."""

import re
from pathlib import Path

import pytest
from pytest_examples import CodeExample, EvalExample, find_examples

ROOT = Path(__file__).parents[2]
INCLUDE_LINE = re.compile(r'^\s*--8<--\s+"[^"]+"\s*$')
FENCE = re.compile(r"^(\s*)```(?:py|python|python3)\b", re.M)


def _include_only(source: str) -> bool:
    lines = [ln for ln in source.splitlines() if ln.strip()]
    return bool(lines) and all(INCLUDE_LINE.match(ln) for ln in lines)


def _inline_examples() -> list[CodeExample]:
    return [ex for ex in find_examples(str(ROOT / "docs")) if not _include_only(ex.source)]


def test_python_fences_are_all_seen_by_pytest_examples():
    """Guards the guard: a Python fence pytest-examples cannot see would escape testing."""
    fences = sum(len(FENCE.findall(p.read_text())) for p in (ROOT / "docs").rglob("*.md"))
    assert fences == len(list(find_examples(str(ROOT / "docs"))))


def test_no_block_mixes_includes_and_inline_code():
    for ex in find_examples(str(ROOT / "docs")):
        if "--8<--" in ex.source:
            assert _include_only(ex.source), f"{ex}: a block is either an include or inline code"


def test_no_block_is_marked_skip():
    for ex in find_examples(str(ROOT / "docs")):
        assert ex.prefix_settings().get("test") != "skip", f"{ex}: untested code on the site"


@pytest.mark.parametrize("example", _inline_examples(), ids=str)
def test_inline_python_block_runs(example: CodeExample, eval_example: EvalExample):
    eval_example.set_config(line_length=120)
    eval_example.lint_ruff(example)
    eval_example.run_print_check(example)
