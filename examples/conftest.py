"""Loads example files by path: they are named NN_what.py for reading order, so not importable by name.

Loading an example must have no side effects (settings at the top, work in main(), a __main__ guard).
"""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def load_example(path: Path) -> ModuleType:
    name = "example_" + "_".join(path.with_suffix("").parts[-3:]).replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def example(request: pytest.FixtureRequest, kafka_bootstrap: str):
    """`example("01_confluent_kafka.py")` imports that file from the test's own folder, after the
    cluster is up, so its module-level settings see $KAFKA_BOOTSTRAP_SERVERS."""
    folder = Path(request.node.path).parent

    def load(filename: str) -> ModuleType:
        module = load_example(folder / filename)
        assert module.BOOTSTRAP_SERVERS == kafka_bootstrap, "examples read $KAFKA_BOOTSTRAP_SERVERS"
        return module

    return load
