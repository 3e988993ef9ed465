"""Test order: the labs first (they write docs/labs/*.ipynb, the executed notebooks the site renders),
the site and browser checks last (they build that site)."""

import pytest


def _stage(item: pytest.Item) -> int:
    path = item.nodeid
    if path.startswith("tests/labs/"):
        return 0
    if path.startswith(("tests/site/", "tests/browser/")):
        return 2
    return 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_stage)  # stable: the order within a stage is unchanged
