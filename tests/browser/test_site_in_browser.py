"""The built site in Chromium: clean loads, offline, page weight, linked tabs, search, diagrams, labs, a11y."""

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MAX_PAGE_BYTES = 1_500_000  # transferred per page load, the search index aside
SEARCH_INDEX = "search/search_index.json"
# Material renders each diagram into a *closed* shadow root; the tests open it to look inside.
OPEN_SHADOW_ROOTS = """
const attach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) { return attach.call(this, { ...init, mode: "open" }); };
"""

ALL_DIAGRAMS_DRAWN = """n => document.querySelectorAll("pre.mermaid").length === 0
  && [...document.querySelectorAll("div.mermaid")].filter(d => d.shadowRoot?.querySelector("svg")).length === n"""


@dataclass
class PageLoad:
    page: str
    transferred: int  # encoded response bodies, as they travel
    decoded: int  # the same bodies after decompression
    requests: int
    problems: list[str]


@pytest.fixture(scope="module")
def page_loads(browser, new_page, site) -> list[PageLoad]:
    """Every page of the built site loaded once in a fresh context, with its weight and its problems."""
    loads = []
    for path in site.pages():
        with new_page(browser) as (page, traffic):
            finished = []
            page.on("requestfinished", lambda request, finished=finished: finished.append(request))
            page.goto(site.url(path), wait_until="load")
            page.wait_for_load_state("networkidle")
            transferred = decoded = 0
            counted = 0
            for request in finished:
                if request.url.endswith(SEARCH_INDEX) or request.url.startswith("data:"):
                    continue
                response = request.response()
                transferred += request.sizes()["responseBodySize"]
                decoded += len(response.body()) if response is not None else 0
                counted += 1
            loads.append(PageLoad(path or "(home)", transferred, decoded, counted, traffic.problems()))
    return loads


def test_the_site_has_its_pages(site):
    pages = site.pages()
    for expected in ("", "guarantees/acks/", "basics/send-patterns/", "labs/lab01_acks/"):
        assert expected in pages
    assert len(pages) >= 15


def test_every_page_loads_without_errors_or_foreign_requests(page_loads: list[PageLoad]):
    problems = {load.page: load.problems for load in page_loads if load.problems}
    assert problems == {}


def test_built_html_and_css_reference_no_other_host(site):
    """Scripts, styles and fonts come from the site itself (a link to read elsewhere is fine)."""
    tag = re.compile(
        r"<script[^>]+src=\"(https?:)?//|<link[^>]+rel=\"(stylesheet|preload|modulepreload|preconnect)\"[^>]+href=\"(https?:)?//"
    )
    offenders = [
        str(f.relative_to(site.root)) for f in site.root.rglob("*.html") if tag.search(f.read_text(encoding="utf-8"))
    ]
    css_url = re.compile(r"(@import|url\()\s*[\"']?(https?:)?//")
    offenders += [str(f.relative_to(site.root)) for f in site.root.rglob("*.css") if css_url.search(f.read_text())]
    assert offenders == []


def test_page_weight(page_loads: list[PageLoad]):
    rows = sorted(page_loads, key=lambda load: load.transferred, reverse=True)
    print(f"\n{'page':40} {'requests':>8} {'transferred':>12} {'decoded':>12}")
    for load in rows:
        print(f"{load.page:40} {load.requests:>8} {load.transferred:>12,} {load.decoded:>12,}")
    heaviest = rows[0]
    print(f"heaviest: {heaviest.page} {heaviest.transferred:,} bytes transferred (limit {MAX_PAGE_BYTES:,})")
    assert all(load.transferred > 0 for load in rows)
    assert [load.page for load in rows if load.transferred > MAX_PAGE_BYTES] == []


def test_linked_tabs_keep_the_readers_client_across_pages(browsing, site):
    page, traffic = browsing
    page.goto(site.url("basics/send-patterns/"))
    page.locator(".tabbed-labels label", has_text=re.compile(r"^\s*kafka-python\s*$")).first.click()
    assert "kafka-python" in page.evaluate("__md_get('__tabs')")

    page.goto(site.url("basics/headers-and-keys/"))
    shown = page.locator(".tabbed-set:not(details:not([open]) *)")  # not those inside a closed note
    sets_with_choice = shown.filter(
        has=page.locator(".tabbed-labels label", has_text=re.compile(r"^\s*kafka-python\s*$"))
    )
    assert sets_with_choice.count() >= 1
    for i in range(sets_with_choice.count()):
        tabbed = sets_with_choice.nth(i)
        checked_id = tabbed.locator(":scope > input:checked").get_attribute("id")
        label = tabbed.locator(f".tabbed-labels label[for='{checked_id}']")
        assert label.inner_text().strip() == "kafka-python"
        assert tabbed.locator(".tabbed-content > .tabbed-block").nth(int(checked_id.rsplit("_", 1)[1]) - 1).is_visible()
    assert traffic.problems() == []


def _pages_containing(site, word: str) -> list[str]:
    docs = json.loads((site.root / SEARCH_INDEX).read_text(encoding="utf-8"))["docs"]
    return sorted({d["location"].split("#")[0] for d in docs if word in d["text"] or word in d["title"]})


def _search(page, site, query: str) -> list[str]:
    """The pages the search box lists for ``query``, best first (each page once)."""
    page.goto(site.url(""))
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(query, delay=30)  # Material searches on key events, as a reader types
    page.locator(".md-search-result__item").first.wait_for()
    hrefs = page.locator(".md-search-result__item > a.md-search-result__link").evaluate_all(
        "links => links.map(a => new URL(a.href).pathname)"
    )
    return list(dict.fromkeys(h.lstrip("/") for h in hrefs))


@pytest.mark.parametrize(
    ("query", "expected"),
    [("min.insync.replicas", "guarantees/min-insync-replicas/"), ("BufferError", "production/error-handling/")],
)
def test_search_finds_the_page(browsing, site, query, expected):
    page, traffic = browsing
    assert expected in _pages_containing(site, query), f"{query!r} is not on {expected} in the built site"
    results = _search(page, site, query)
    print(f"\nsearch {query!r}: {results}")
    assert results, f"no search results for {query!r}"
    assert results[0] == expected
    assert traffic.problems() == []


def test_mermaid_diagrams_render_to_svg(browser, new_page, site):
    pages = [p for p in site.pages() if 'class="mermaid"' in site.html(p)]
    print(f"\npages with diagrams: {pages}")
    assert pages, "no page of the built site has a mermaid diagram"
    for path in pages:
        with new_page(browser, init_script=OPEN_SHADOW_ROOTS) as (page, traffic):
            expected = site.html(path).count('<pre class="mermaid">')
            assert expected >= 1, path
            page.goto(site.url(path))
            try:
                page.wait_for_function(ALL_DIAGRAMS_DRAWN, arg=expected)
            except PlaywrightTimeoutError:
                pytest.fail(f"diagrams on {path} did not render: {traffic.problems()}")
            boxes = page.locator("div.mermaid svg").evaluate_all(
                "svgs => svgs.map(s => {"
                " const r = s.getBoundingClientRect(); return [r.width, r.height, s.textContent.length]; })"
            )
            assert len(boxes) == expected, path
            assert all(w > 50 and h > 50 and text > 0 for w, h, text in boxes), (path, boxes)
            assert not page.evaluate("typeof mermaid === 'undefined'")
            assert traffic.problems() == [], path


def test_lab_pages_show_executed_outputs_and_pictures(browsing, site):
    page, traffic = browsing
    labs = [p for p in site.pages() if p.startswith("labs/")]
    assert "labs/lab01_acks/" in labs
    for path in labs:
        page.goto(site.url(path))
        pictures = page.locator(".jp-OutputArea-output figure.kafkalab-picture svg")  # Timeline.picture()
        assert pictures.count() >= 1, path
        for i in range(pictures.count()):
            picture = pictures.nth(i)
            picture.scroll_into_view_if_needed()
            assert picture.evaluate("svg => svg.getBoundingClientRect().width > 100 && svg.querySelector('text')"), path
        texts = page.locator(".jp-RenderedText.jp-OutputArea-output pre").all_inner_texts()
        assert any(t.strip() for t in texts), path
        assert not any("Traceback (most recent call last)" in t for t in texts), path
    assert traffic.problems() == []


def test_code_blocks_have_a_working_copy_button(browser, new_page, site):
    clipboard = ("clipboard-read", "clipboard-write")
    with new_page(browser, permissions=clipboard, origin=site.base_url.rstrip("/")) as (page, traffic):
        page.goto(site.url("basics/send-patterns/"))
        blocks = page.locator(".md-content pre:has(> code)")
        assert blocks.count() >= 2
        copy = ".md-code__nav > button.md-code__button[data-md-type='copy']"
        assert page.locator(f".md-content pre > {copy}").count() == blocks.count()
        first = blocks.first
        first.hover()
        first.locator(copy).click()
        copied = page.evaluate("navigator.clipboard.readText()")
        code = first.locator("code").inner_text()
        assert copied.strip() and copied.strip() == code.strip()
        assert traffic.problems() == []


def test_light_dark_toggle_flips_the_palette(browsing, site):
    page, traffic = browsing
    page.goto(site.url(""))
    body = page.locator("body")
    assert body.get_attribute("data-md-color-scheme") == "default"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.locator("form[data-md-component='palette'] label:visible").click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != background
    page.reload()
    assert body.get_attribute("data-md-color-scheme") == "slate"  # the choice is remembered
    page.locator("form[data-md-component='palette'] label:visible").click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'default'")
    assert traffic.problems() == []


A11Y_PAGES = ["", "guarantees/acks/", "labs/lab01_acks/"]


@pytest.mark.parametrize("path", A11Y_PAGES, ids=["home", "acks", "lab"])
def test_accessibility_no_serious_violations(browsing, site, axe_js, path):
    page, traffic = browsing
    page.goto(site.url(path))
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    violations = result["violations"]
    print(f"\naxe {result['testEngine']['version']} on /{path}: {len(violations)} violation(s)")
    for v in violations:
        targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:3]]
        print(f"  [{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} node(s), e.g. {targets})")
        if v["id"] == "color-contrast":
            pairs = {
                (n["any"][0]["data"]["fgColor"], n["any"][0]["data"]["bgColor"], n["any"][0]["data"]["contrastRatio"])
                for n in v["nodes"]
                if n["any"] and n["any"][0].get("data")
            }
            for fg, bg, ratio in sorted(pairs):
                print(f"      {fg} on {bg}: {ratio}")
    serious = [(v["id"], v["impact"]) for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == []
    assert traffic.problems() == []


SCREENSHOT_PAGES = {"home": "", "acks": "guarantees/acks/", "lab": "labs/lab01_acks/"}


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots(browser, new_page, site, screenshot_dirs: list[Path], device, viewport):
    with new_page(browser, viewport=viewport, init_script=OPEN_SHADOW_ROOTS) as (page, traffic):
        for name, path in SCREENSHOT_PAGES.items():
            page.goto(site.url(path))
            page.wait_for_load_state("networkidle")
            page.wait_for_function("document.querySelectorAll('pre.mermaid').length === 0")
            shot = screenshot_dirs[0] / f"{name}-{device}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            for folder in screenshot_dirs[1:]:
                shutil.copy2(shot, folder / shot.name)
        print(f"\nscreenshots: {screenshot_dirs}")
        assert traffic.problems() == []
