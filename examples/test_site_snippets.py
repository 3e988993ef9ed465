"""No untested Python on the site: each Python block is an include of a tested example, or an inline block
run here by pytest-examples, so that `pytest examples/` verifies every snippet a page shows."""

import re

from pytest_examples import CodeExample, EvalExample

from .conftest import DOCS, is_include_only, python_blocks

FENCE = re.compile(r"^(\s*)```(?:py|python|python3)\b", re.M)


def test_python_fences_are_all_seen_by_pytest_examples():
    """Guards the guard: a Python fence pytest-examples cannot see would escape testing."""
    fences = sum(len(FENCE.findall(p.read_text())) for p in DOCS.rglob("*.md"))
    assert fences == len(python_blocks())


def test_no_block_mixes_includes_and_inline_code():
    for block in python_blocks():
        if "--8<--" in block.source:
            assert is_include_only(block.source), f"{block}: a block is either an include or inline code"


def test_no_block_is_marked_skip():
    for block in python_blocks():
        assert block.prefix_settings().get("test") != "skip", f"{block}: untested code on the site"


def test_inline_python_block_runs(inline_block: CodeExample, eval_example: EvalExample):
    eval_example.set_config(line_length=120)
    eval_example.lint_ruff(inline_block)
    eval_example.run_print_check(inline_block)
