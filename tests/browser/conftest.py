"""The site as readers meet it: built once with ``mkdocs build --strict``, served on 127.0.0.1, driven in Chromium.

Playwright drives Debian's ``/usr/bin/chromium`` (``make system-deps``); ``playwright install`` is never used.
Every request to another host is blocked and recorded, so a test run proves the site works offline.
"""

import contextlib
import gzip
import http.server
import mimetypes
import os
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, sync_playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MERMAID_JS = REPO / "docs" / "javascripts" / "vendor" / "mermaid.min.js"
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
NAV_TIMEOUT_MS = 30_000
ACTION_TIMEOUT_MS = 15_000
DESKTOP = {"width": 1280, "height": 800}
# What a static host compresses (GitHub Pages, Netlify, Read the Docs): the page weight is what travels.
COMPRESSIBLE = re.compile(r"^(text/|application/(javascript|json|xml)|image/svg)")


@dataclass
class Site:
    root: Path  # the built site folder
    base_url: str  # http://127.0.0.1:<port>/

    def pages(self) -> list[str]:
        """Every page of the built site as a URL path relative to the root ('' is the home page)."""
        found = []
        for html in sorted(self.root.rglob("index.html")):
            rel = html.parent.relative_to(self.root).as_posix()
            found.append("" if rel == "." else rel + "/")
        return found

    def html(self, page: str) -> str:
        return (self.root / page / "index.html").read_text(encoding="utf-8")

    def url(self, page: str) -> str:
        return self.base_url + page


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files from the built site, gzip-encoded for text types when the browser accepts it."""

    _gz_cache: dict[Path, bytes] = {}  # noqa: RUF012 - one server per session, read-only files

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if (
            not path.is_file()
            or "gzip" not in self.headers.get("Accept-Encoding", "")
            or not COMPRESSIBLE.match(ctype)
            or not self.path.split("?")[0].endswith(("/", path.name))
        ):
            return super().do_GET()
        body = self._gz_cache.get(path)
        if body is None:
            body = self._gz_cache[path] = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="session")
def vendored(built_site) -> Path:
    """The site (built once per run by tests/conftest.py) with the npm files it serves and the tests inject."""
    missing = [str(p.relative_to(REPO)) for p in (MERMAID_JS, AXE_JS) if not p.is_file()]
    assert not missing, f"vendored npm files missing: {missing}; run `make vendor`"
    return built_site


@pytest.fixture(scope="session")
def site(vendored) -> Site:
    """The built site served by a stdlib HTTP server on a free loopback port, stopped at teardown."""

    def handler(*args, **kwargs):
        return _Handler(*args, directory=str(vendored), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        yield Site(vendored, f"http://127.0.0.1:{server.server_address[1]}/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Browser:
    assert CHROMIUM.is_file(), "Chromium is missing: run `make system-deps`"
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Traffic:
    """What one browser context asked for and what went wrong, for the offline and clean-load assertions."""

    foreign: list[str] = field(default_factory=list)  # requests to any host but 127.0.0.1 (all blocked)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"request to another host: {u}" for u in self.foreign]
            + [f"failed request: {f}" for f in self.failed]
            + [f"console error: {c}" for c in self.console_errors]
        )


def _is_local(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


def _open_context(browser: Browser, *, viewport=DESKTOP, color_scheme="light") -> tuple[BrowserContext, Traffic]:
    """A fresh context (its own storage) that blocks and records requests leaving 127.0.0.1."""
    traffic = Traffic()
    context = browser.new_context(viewport=viewport, color_scheme=color_scheme, service_workers="block")
    context.set_default_navigation_timeout(NAV_TIMEOUT_MS)
    context.set_default_timeout(ACTION_TIMEOUT_MS)

    def on_request(request: Request):
        if not _is_local(request.url):
            traffic.foreign.append(request.url)

    def route(route):
        if _is_local(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def on_response(response):
        if response.status >= 400:
            traffic.failed.append(f"{response.status} {response.url}")

    def on_failed(request: Request):
        # ERR_ABORTED is the browser cancelling a request because the page navigated away (a late
        # favicon fetch, say); a missing or broken file still shows up as a 4xx/5xx response above.
        if _is_local(request.url) and request.failure != "net::ERR_ABORTED":
            traffic.failed.append(f"{request.failure} {request.url}")

    context.on("request", on_request)
    context.on("response", on_response)
    context.on("requestfailed", on_failed)
    context.route("**/*", route)
    return context, traffic


def _watch_console(page: Page, traffic: Traffic) -> None:
    page.on("console", lambda msg: msg.type == "error" and traffic.console_errors.append(f"{page.url}: {msg.text}"))
    page.on("pageerror", lambda exc: traffic.console_errors.append(f"{page.url}: uncaught {exc}"))


@pytest.fixture
def browsing(browser):
    """A new page in a fresh desktop context, with its traffic; the test asserts ``traffic.problems() == []``."""
    with open_page(browser) as (page, traffic):
        yield page, traffic


@contextlib.contextmanager
def open_page(browser: Browser, *, viewport=DESKTOP, init_script: str | None = None, permissions=(), origin=None):
    """A page in a fresh context (its own storage), with the context's traffic; the context closes after."""
    context, traffic = _open_context(browser, viewport=viewport)
    try:
        if init_script:
            context.add_init_script(init_script)
        if permissions:
            context.grant_permissions(list(permissions), origin=origin)
        page = context.new_page()
        _watch_console(page, traffic)
        yield page, traffic
    finally:
        with contextlib.suppress(Exception):
            context.close()


@pytest.fixture(scope="session")
def new_page():
    """``with new_page(browser, viewport=..., init_script=...) as (page, traffic):`` for tests that need options."""
    return open_page


@pytest.fixture(scope="session")
def screenshot_dirs(vendored) -> list[Path]:
    """Screenshots go to ``screenshots/`` of the built site, and to $FIELD_GUIDE_SCREENSHOTS when it is set."""
    dirs = [vendored / "screenshots"]
    if os.environ.get("FIELD_GUIDE_SCREENSHOTS"):
        dirs.append(Path(os.environ["FIELD_GUIDE_SCREENSHOTS"]))
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    return dirs


@pytest.fixture(scope="session")
def axe_js() -> Path:
    return AXE_JS
