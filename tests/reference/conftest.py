"""The configuration reference's hook (docs/hooks/producer_defaults.py) and other files loaded by path."""

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

HOOK = Path(__file__).resolve().parents[2] / "docs" / "hooks" / "producer_defaults.py"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_module() -> Callable[[str, Path], ModuleType]:
    """`load_module(name, path)`: a fresh copy of a file that is not importable by name."""
    return _load


@pytest.fixture(scope="module")
def hook() -> ModuleType:
    return _load("producer_defaults_under_test", HOOK)
