"""The learning path: pages in navigation order link each glossary term on its first use, and every lab
sits beside the page whose story it reproduces, linked both ways."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
import yaml

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
NOTEBOOKS = ROOT / "notebooks"
GLOSSARY = "reference/glossary.md"
CONCEPTS = "getting-started/concepts.md"

# The page that tells each lab's story (issue 12): the page links the lab, the lab links back.
LAB_PAGES = {
    "lab01_acks": "guarantees/acks.md",
    "lab02_lost_ack": "guarantees/idempotence.md",
    "lab03_min_insync_replicas": "guarantees/min-insync-replicas.md",
    "lab04_unclean_election": "guarantees/min-insync-replicas.md",
    "lab05_flush_at_shutdown": "basics/sync-vs-async.md",
    "lab06_consumer_end": "guarantees/reliability-chain.md",
    "lab07_transactions": "guarantees/transactions.md",
    "lab08_chain_under_fire": "guarantees/reliability-chain.md",
    "lab09_all_brokers_down": "operations/monitoring.md",
}

ENTRY = re.compile(r"^## (?P<term>.+?) \{ #(?P<anchor>[\w-]+) \}[ \t]*$", re.M)
ALSO = re.compile(r"^\*Also:\* (?P<spellings>.+)$", re.M)
SEE_IT_HAPPEN = re.compile(r'^!!! example "See it happen"\n((?:[ \t]{4}.*\n|[ \t]*\n)+)', re.M)


class _MkdocsLoader(yaml.SafeLoader):
    """mkdocs.yml with its `!!python/name:` tags read as nothing."""


_MkdocsLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def mkdocs_config() -> dict:
    return yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_MkdocsLoader)


def nav_pages() -> list[str]:
    """Every page of the navigation, in reading order, as paths relative to docs/."""
    found: list[str] = []

    def walk(item: object) -> None:
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(mkdocs_config()["nav"])
    return found


@dataclass(frozen=True)
class Term:
    anchor: str
    spellings: tuple[str, ...]


def glossary_terms() -> list[Term]:
    """The term list lives on the glossary page: a `## Term { #anchor }` heading, then an optional
    `*Also:* other, spellings` line before the next entry."""
    text = (DOCS / GLOSSARY).read_text()
    entries = list(ENTRY.finditer(text))
    terms = []
    for entry, following in zip(entries, [*entries[1:], None], strict=True):
        body = text[entry.end() : following.start() if following else len(text)]
        spellings = [entry["term"]]
        also = ALSO.search(body)
        if also:
            spellings += [s.strip() for s in also["spellings"].split(",") if s.strip()]
        terms.append(Term(entry["anchor"], tuple(spellings)))
    return terms


def _spelling_pattern(spelling: str) -> str:
    escaped = re.escape(spelling).replace(r"\ ", r"\s+")
    # An acronym or a name with capitals inside (ISR, KRaft, PID) is matched as written; words in any case.
    acronym = " " not in spelling and any(c.isupper() for c in spelling[1:])
    return escaped if acronym else f"(?i:{escaped})"


def term_matcher(terms: list[Term]) -> tuple[re.Pattern[str], list[str]]:
    """One regex for every spelling, longest first, so 'last stable offset' is one use, not 'offset'.
    A word inside a setting, path or identifier (min.insync.replicas, high-watermark) is no use."""
    pairs = sorted(((s, t.anchor) for t in terms for s in t.spellings), key=lambda p: -len(p[0]))
    alternatives = "|".join(f"(?P<g{i}>{_spelling_pattern(s)})" for i, (s, _) in enumerate(pairs))
    pattern = re.compile(rf"(?<![\w.\-/#_])(?:{alternatives})(?![\w\-/_]|\.\w)")
    return pattern, [anchor for _, anchor in pairs]


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


MASKS = [
    re.compile(r"^(?P<indent>[ \t]*)(```|~~~).*?^(?P=indent)\2[ \t]*$", re.M | re.S),  # fenced code
    re.compile(r"<!--.*?-->", re.S),
    re.compile(r"^#{1,6} .*$", re.M),  # headings name a topic
    re.compile(r"^[ \t]*(?:!!!|\?\?\?\+?|===)[^\n]*$", re.M),  # admonition and tab titles
    re.compile(r"`[^`\n]+`"),  # inline code
    re.compile(r"\]\([^)\s]*\)"),  # link targets
    re.compile(r"<https?://[^>]+>"),
    re.compile(r"\{[^}\n]*\}"),  # attribute lists
]


def prose(text: str) -> str:
    """The text with code, headings, titles and link targets blanked out, positions kept."""
    for mask in MASKS:
        text = mask.sub(_blank, text)
    return text


def glossary_links(page: str, text: str) -> list[tuple[int, int, str]]:
    """(start, end, anchor) of the text of every link from this page to a glossary entry."""
    found = []
    for link in re.finditer(r"\[([^\]]+)\]\(([^)#\s]*)#([\w-]+)\)", text):
        target = PurePosixPath(page).parent / link[2]
        parts: list[str] = []
        for part in target.parts:
            if part == "..":
                parts.pop()
            elif part != ".":
                parts.append(part)
        if "/".join(parts) == GLOSSARY:
            found.append((link.start(1), link.end(1), link[3]))
    return found


def first_uses_not_linked(page: str, text: str, terms: list[Term]) -> list[str]:
    """Each term whose first use on the page is not a link to its glossary entry."""
    pattern, anchors = term_matcher(terms)
    links = glossary_links(page, text)
    seen: set[str] = set()
    problems = []
    for use in pattern.finditer(prose(text)):
        anchor = anchors[int(use.lastgroup[1:])]
        if anchor in seen:
            continue
        seen.add(anchor)
        if not any(start <= use.start() < end and a == anchor for start, end, a in links):
            line = text.count("\n", 0, use.start()) + 1
            problems.append(f"docs/{page}:{line}: {use.group(0)!r} used before it is linked to {GLOSSARY}#{anchor}")
    return problems


def markdown_cells(lab: str) -> list[str]:
    text = (NOTEBOOKS / f"{lab}.py").read_text()
    cells = re.split(r"^# %% \[markdown\][^\n]*\n", text, flags=re.M)[1:]
    return ["\n".join(re.sub(r"^# ?", "", line) for line in cell.split("\n# %%")[0].splitlines()) for cell in cells]


TERMS = glossary_terms()
NAV = nav_pages()


def test_the_glossary_has_the_terms_of_the_learning_path():
    anchors = {t.anchor for t in TERMS}
    wanted = {
        "broker", "topic", "partition", "replica", "leader", "follower", "offset", "isr", "high-watermark",
        "last-stable-offset", "producer-id", "producer-epoch", "sequence-number", "fencing", "controller",
        "kraft", "elr", "unclean-leader-election",
    }  # fmt: skip
    assert wanted <= anchors, f"glossary entries missing: {sorted(wanted - anchors)}"
    spellings = [s.lower() for t in TERMS for s in t.spellings]
    assert len(spellings) == len(set(spellings)), "a spelling listed under two glossary entries"


def test_the_matcher_sees_uses_outside_code_only():
    text = (
        "The `ISR` and min.insync.replicas.\n\n```text\nISR\n```\n\n## ISR\n\n"
        "A [leader](../reference/glossary.md#leader) and the ISR."
    )
    assert first_uses_not_linked("guarantees/x.md", text, TERMS) == [
        "docs/guarantees/x.md:9: 'ISR' used before it is linked to reference/glossary.md#isr"
    ]
    assert first_uses_not_linked("x.md", "the last stable offset", TERMS) == [
        "docs/x.md:1: 'last stable offset' used before it is linked to reference/glossary.md#last-stable-offset"
    ]
    linked = "the [last stable offset](reference/glossary.md#last-stable-offset), then an offset"
    assert first_uses_not_linked("x.md", linked, TERMS) == [
        "docs/x.md:1: 'offset' used before it is linked to reference/glossary.md#offset"
    ]


def test_concepts_come_before_the_basics_and_guarantees():
    first_lesson = min(i for i, page in enumerate(NAV) if page.startswith(("basics/", "guarantees/")))
    assert CONCEPTS in NAV[:first_lesson], f"{CONCEPTS} must come before {NAV[first_lesson]} in the navigation"
    concepts = (DOCS / CONCEPTS).read_text()
    linked = {anchor for _, _, anchor in glossary_links(CONCEPTS, concepts)}
    assert {t.anchor for t in TERMS} <= linked, f"concepts never shows {sorted({t.anchor for t in TERMS} - linked)}"


@pytest.mark.parametrize("page", [p for p in NAV if p.endswith(".md") and p != GLOSSARY])
def test_each_page_links_a_glossary_term_on_its_first_use(page: str):
    """Walked in navigation order (the parameters' order): a reader meets each term as a link first."""
    problems = first_uses_not_linked(page, (DOCS / page).read_text(), TERMS)
    assert not problems, "\n".join(problems)


def test_glossary_links_point_at_entries():
    anchors = {t.anchor for t in TERMS}
    for page in NAV:
        if page.endswith(".md"):
            for _, _, anchor in glossary_links(page, (DOCS / page).read_text()):
                assert anchor in anchors, f"docs/{page} links {GLOSSARY}#{anchor}, which is no entry"


@pytest.mark.parametrize("lab", sorted(LAB_PAGES))
def test_each_lab_is_linked_from_its_page_in_a_see_it_happen_box(lab: str):
    page = LAB_PAGES[lab]
    boxes = SEE_IT_HAPPEN.findall((DOCS / page).read_text())
    assert boxes, f'docs/{page} has no !!! example "See it happen" box'
    target = f"labs/{lab}.ipynb"
    assert any(re.search(rf"\]\((?:\.\./)*{re.escape(target)}\)", box) for box in boxes), (
        f'docs/{page}: no "See it happen" box links {target}'
    )


@pytest.mark.parametrize("lab", sorted(LAB_PAGES))
def test_each_lab_links_back_to_its_page_in_its_first_cell(lab: str):
    page = LAB_PAGES[lab]
    url = "../../" + page.removesuffix(".md") + "/"  # the lab renders at labs/<lab>/; its links are URLs
    first = markdown_cells(lab)[0]
    assert f"]({url})" in first, f"notebooks/{lab}.py: the first markdown cell does not link back to {url}"


def test_each_lab_comes_right_after_the_page_it_proves():
    for lab, page in LAB_PAGES.items():
        here = NAV.index(f"labs/{lab}.ipynb")
        before = NAV[NAV.index(page) + 1 : here]
        assert NAV.index(page) < here and all(p.startswith("labs/") for p in before), (
            f"labs/{lab}.ipynb should follow {page} in the navigation, after only that page's other labs"
        )
    assert all(p in NAV for p in (f"labs/{lab}.ipynb" for lab in LAB_PAGES))


def test_previous_and_next_links_run_through_the_path():
    assert "navigation.footer" in mkdocs_config()["theme"]["features"]


# Self-checks (issue 12): a `## Check yourself` section closes each guarantee page and each lab, with two or
# more questions whose answers are collapsed; every answer holds a claim of the ledger, so it is backed by a
# test or a lab assertion of the same run (tests/claims).
CHECK_YOURSELF = "## Check yourself"
PAGE_QUESTION = re.compile(r'^\?\?\? question "(?P<q>[^"\n]+)"\n(?P<a>(?:[ \t]{4}.*\n|[ \t]*\n)+)', re.M)
LAB_QUESTION = re.compile(r"<details>\s*<summary>(?P<q>.+?)</summary>(?P<a>.+?)</details>", re.S)
GUARANTEE_PAGES = sorted(p for p in NAV if p.startswith("guarantees/"))
LEDGER = ROOT / "tests" / "claims" / "ledger"


def _fold(text: str) -> str:
    return " ".join(text.split())


def self_checks(source: str) -> list[tuple[str, str]]:
    """(question, answer) pairs of the page's or lab's closing `## Check yourself` section."""
    if source.startswith("notebooks/"):
        text = "\n\n".join(markdown_cells(Path(source).stem))
        pattern = LAB_QUESTION
    else:
        text = (ROOT / source).read_text()
        pattern = PAGE_QUESTION
    _, found, section = text.partition(CHECK_YOURSELF)
    assert found, f"{source} has no {CHECK_YOURSELF!r} section"
    assert not re.search(r"^## ", section, re.M), f"{source}: {CHECK_YOURSELF!r} is not the last section"
    return [(m["q"], _fold(m["a"])) for m in pattern.finditer(section)]


def ledgered(source: str) -> list[str]:
    name = Path(source).relative_to("docs").with_suffix(".yml") if source.startswith("docs/") else None
    ledger = LEDGER / name if name else LEDGER / "labs" / (Path(source).stem + ".yml")
    return [_fold(c["says"]) for c in yaml.safe_load(ledger.read_text())["claims"]] if ledger.exists() else []


SELF_CHECKED = [f"docs/{p}" for p in GUARANTEE_PAGES] + [f"notebooks/{lab}.py" for lab in sorted(LAB_PAGES)]


@pytest.mark.parametrize("source", SELF_CHECKED)
def test_every_guarantee_page_and_lab_ends_with_self_checks(source: str):
    checks = self_checks(source)
    assert len(checks) >= 2, f"{source}: {len(checks)} self-check question(s) under {CHECK_YOURSELF!r}, want 2 or 3"
    claims = ledgered(source)
    for question, answer in checks:
        assert question.rstrip().endswith("?"), f"{source}: {question!r} is not a question"
        assert any(c in answer for c in claims), f"{source}: the answer to {question!r} holds no ledgered claim"


def test_self_checks_are_found_in_both_formats():
    page = '## Check yourself\n\n??? question "Q one?"\n    Answer one.\n\n??? question "Q two?"\n    Two.\n'
    assert [q for q, _ in PAGE_QUESTION.findall(page.partition(CHECK_YOURSELF)[2])] == ["Q one?", "Q two?"]
    lab = "<details>\n<summary>Q?</summary>\n\nA.\n</details>"
    assert [(m["q"], _fold(m["a"])) for m in LAB_QUESTION.finditer(lab)] == [("Q?", "A.")]


def test_the_path_ends_with_the_production_producer():
    """The guide's destination: the production producer closes the "In production" part, after the decision
    guide that leads to it, and the home page points at it."""
    production = [p for p in NAV if p.startswith("production/")]
    assert production[-1] == "production/production-producer.md", production
    assert "production/choosing.md" in production[:-1], production
    assert "](production/production-producer.md)" in (DOCS / "index.md").read_text()
