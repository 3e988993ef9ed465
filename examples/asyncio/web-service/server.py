"""Runs one of this folder's apps under uvicorn as a separate process, for the tests and the benchmark."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx

from kafkalab.child import Server, free_port
from kafkalab.child import serve as serve_process

HERE = Path(__file__).resolve().parent


def _healthy(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url + "/health", timeout=1).status_code == 200
    return False


@contextlib.contextmanager
def serve(app_file: str, env: dict[str, str], log: Path, ready_within: float = 30.0) -> Iterator[Server]:
    """Starts `app_file` on a free port, waits (bounded) until /health answers, and always stops it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serve_process(
        [sys.executable, str(HERE / app_file)],
        ready=lambda: _healthy(url),
        log=log,
        env=env | {"PORT": str(port)},
        ready_within=ready_within,
        url=url,
    ) as running:
        yield running
