"""Test order and the run's own record of outcomes.

Order: the labs first (they write docs/labs/*.ipynb, the executed notebooks the site renders), the site
and browser checks after everything else (they build that site), the claims ledger last (it checks that
the tests each claim names passed in this same run)."""

from __future__ import annotations

import time

import pytest


def _stage(item: pytest.Item) -> int:
    path = item.nodeid
    if path.startswith("tests/labs/"):
        return 0
    if path.startswith(("tests/site/", "tests/browser/")):
        return 2
    if path.startswith("tests/claims/"):
        return 3
    return 1


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--claims-page",
        action="append",
        default=[],
        metavar="docs/PAGE.md",
        help="check only the ledger claims of this page (repeatable); default: every page",
    )


class _Outcomes:
    """Records each test's outcome in this run: 'failed' if any phase failed, else 'skipped' if one
    skipped, else 'passed'. The claims ledger reads it (tests/claims)."""

    def __init__(self) -> None:
        self.started = time.time()
        self.outcomes: dict[str, str] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        previous = self.outcomes.get(report.nodeid)
        if report.failed:
            self.outcomes[report.nodeid] = "failed"
        elif report.skipped and previous != "failed":
            self.outcomes[report.nodeid] = "skipped"
        elif report.when == "call" and report.passed and previous is None:
            self.outcomes[report.nodeid] = "passed"


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_Outcomes(), "run-outcomes")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_stage)  # stable: the order within a stage is unchanged
