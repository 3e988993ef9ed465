"""Loads example files by path, runs the site's inline Python blocks, and counts what was verified.

Examples are named NN_what.py for reading order, so not importable by name. Loading an example must have
no side effects (settings at the top, work in main(), a __main__ guard).

At the end of a run, the summary says how many of the code snippets shown on the site were verified:
an included section of an example file counts when a test that loaded that file passed (a Java file, when
the Maven run passed), an inline block when pytest-examples ran it.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from pytest_examples import CodeExample, find_examples

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
INCLUDE = re.compile(r'--8<--\s+"([^":]+)(?::([\w-]+))?"')
INCLUDE_LINE = re.compile(r'^\s*--8<--\s+"[^"]+"\s*$')
CODE_SUFFIXES = {".py", ".java"}
JAVA_RUN = "examples/java/test_java_examples.py::test_java_examples"
INLINE_RUN = "examples/test_site_snippets.py::test_inline_python_block_runs"

_LOADED: dict[str, set[Path]] = defaultdict(set)  # test node id -> example files it loaded


def load_example(path: Path) -> ModuleType:
    name = "example_" + "_".join(path.with_suffix("").parts[-3:]).replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def example(request: pytest.FixtureRequest, kafka_bootstrap: str) -> Callable[[str], ModuleType]:
    """`example("01_confluent_kafka.py")` imports that file from the test's own folder, after the
    cluster is up, so its module-level settings see $KAFKA_BOOTSTRAP_SERVERS."""
    folder = Path(request.node.path).parent

    def load(filename: str) -> ModuleType:
        module = load_example(folder / filename)
        assert module.BOOTSTRAP_SERVERS == kafka_bootstrap, "examples read $KAFKA_BOOTSTRAP_SERVERS"
        _LOADED[request.node.nodeid].update(_files_in(folder) | {(folder / filename).resolve()})
        return module

    return load


@pytest.fixture
def ran_example(request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """`ran_example("05_app.py")`: the path of an example that the test runs as a process of its own and must
    not import here (an application that makes a producer at import), counted like a loaded one."""
    folder = Path(request.node.path).parent

    def ran(filename: str) -> Path:
        path = (folder / filename).resolve()
        assert path.is_file(), f"no example {filename} in {folder}"
        _LOADED[request.node.nodeid].add(path)
        return path

    return ran


def _files_in(folder: Path) -> set[Path]:
    """Files of `folder` loaded as modules so far: an example's own helper modules (envelope.py) count as run."""
    found = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and Path(path).resolve().parent == folder.resolve():
            found.add(Path(path).resolve())
    return found


def is_include_only(source: str) -> bool:
    lines = [ln for ln in source.splitlines() if ln.strip()]
    return bool(lines) and all(INCLUDE_LINE.match(ln) for ln in lines)


def python_blocks() -> list[CodeExample]:
    """Every Python block on the site, as pytest-examples sees it."""
    return list(find_examples(str(DOCS)))


def inline_blocks() -> list[CodeExample]:
    return [ex for ex in python_blocks() if not is_include_only(ex.source)]


def included_code() -> set[tuple[Path, str | None]]:
    """(file, section) of every code file a page includes."""
    shown = set()
    for page in DOCS.rglob("*.md"):
        for path, section in INCLUDE.findall(page.read_text()):
            if Path(path).suffix in CODE_SUFFIXES:
                shown.add(((ROOT / path).resolve(), section or None))
    return shown


def block_ids(blocks: list[CodeExample]) -> list[str]:
    """`docs/page.md#2`: the page's second inline block. Stable when lines above it change."""
    seen: dict[str, int] = defaultdict(int)
    ids = []
    for block in blocks:
        page = str(block.path.relative_to(ROOT))
        seen[page] += 1
        ids.append(f"{page}#{seen[page]}")
    return ids


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "inline_block" in metafunc.fixturenames:
        blocks = inline_blocks()
        metafunc.parametrize("inline_block", blocks, ids=block_ids(blocks))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    recorder = config.pluginmanager.get_plugin("run-outcomes")
    if recorder is None:
        return
    outcomes = recorder.outcomes
    if not any(node.startswith("examples/") for node in outcomes):
        return
    verified_files: set[Path] = set()
    failed_files: set[Path] = set()
    for node, files in _LOADED.items():
        (verified_files if outcomes.get(node) == "passed" else failed_files).update(files)
    java_ok = outcomes.get(JAVA_RUN) == "passed"
    included = included_code()
    for path, _ in included:  # a test module shown on a page: verified when its own tests passed
        node = str(path.relative_to(ROOT)) + "::"
        own = [outcome for name, outcome in outcomes.items() if name.startswith(node)]
        if path.name.startswith("test_") and own:
            (verified_files if all(o == "passed" for o in own) else failed_files).add(path)
    ok_includes = sum(
        1
        for path, _ in included
        if (path.suffix == ".java" and java_ok) or (path in verified_files and path not in failed_files)
    )
    ok_inline = sum(outcome == "passed" for node, outcome in outcomes.items() if node.startswith(INLINE_RUN + "["))
    inline = len(inline_blocks())
    terminalreporter.write_sep("=", "code shown on the site")
    terminalreporter.write_line(
        f"verified {ok_includes + ok_inline} of {len(included) + inline} code snippets shown on the site: "
        f"{ok_includes} of {len(included)} included example sections, {ok_inline} of {inline} inline blocks"
    )


@pytest.fixture(scope="session")
def librdkafka_default() -> Callable[[str], str | None]:
    """`librdkafka_default("linger.ms")`: a property's default (global or topic-level), read from the librdkafka
    that confluent-kafka ships, by the same reader that writes the configuration reference (docs/hooks)."""
    spec = importlib.util.spec_from_file_location(
        "producer_defaults_for_examples", DOCS / "hooks" / "producer_defaults.py"
    )
    hook = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = hook
    spec.loader.exec_module(hook)
    library = hook.Librdkafka()
    return lambda name: library.defaults([name])[name]
