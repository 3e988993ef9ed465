"""The claims ledger (tests/claims/README.md): every ledgered claim is still on its page, is backed by a
test that passed in this same run or by a cited source, and every failure story names, and links, its lab."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LEDGER = Path(__file__).parent / "ledger"
LAB_FINGERPRINTS = Path(__file__).parent / "labs.yml"
NOTEBOOKS = ROOT / "notebooks"
SUREFIRE = ROOT / "examples" / "java" / "target" / "surefire-reports"
JAVA_RUN = "examples/java/test_java_examples.py::test_java_examples"  # the pytest test that runs `mvn test`
KNOWN_KEYS = {"says", "tests", "sources", "story"}


@dataclass(frozen=True)
class Claim:
    ledger: str
    page: str
    says: str
    tests: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    story: str | None = None
    extra: tuple[str, ...] = field(default=())

    @property
    def where(self) -> str:
        return f"{self.ledger}: {self.says[:70]!r}"


def fold(text: str) -> str:
    return " ".join(text.split())


def page_text(page: Path) -> str:
    """The page's source with whitespace folded; a notebook's markdown cells lose their '# ' prefix."""
    text = page.read_text()
    if page.suffix == ".py":
        text = "\n".join(re.sub(r"^# ?", "", line) for line in text.splitlines())
    return fold(text)


def load_claims() -> list[Claim]:
    claims = []
    for path in sorted(LEDGER.rglob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        name = str(path.relative_to(ROOT))
        for entry in data.get("claims") or []:
            claims.append(
                Claim(
                    ledger=name,
                    page=data.get("page", ""),
                    says=fold(str(entry.get("says", ""))),
                    tests=tuple(entry.get("tests") or ()),
                    sources=tuple(entry.get("sources") or ()),
                    story=entry.get("story"),
                    extra=tuple(sorted(set(entry) - KNOWN_KEYS)),
                )
            )
    return claims


def lab_fingerprint(lab: str) -> str:
    """A digest of every assert statement of a lab: it changes when what the lab proves changes."""
    lines = [ln.strip() for ln in (NOTEBOOKS / f"{lab}.py").read_text().splitlines() if "assert" in ln]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def java_outcomes(since: float) -> dict[str, str]:
    """`java:Class#method` → outcome, from the Surefire reports that this run's `mvn test` wrote."""
    outcomes: dict[str, str] = {}
    for report in SUREFIRE.glob("TEST-*.xml") if SUREFIRE.is_dir() else ():
        if report.stat().st_mtime < since:
            continue
        for case in ET.parse(report).getroot().iter("testcase"):
            name = f"java:{case.get('classname')}#{case.get('name', '').split('(')[0]}"
            bad = {child.tag for child in case} & {"failure", "error", "skipped"}
            outcomes[name] = "passed" if not bad else ("skipped" if bad == {"skipped"} else "failed")
    return outcomes


CLAIMS = load_claims()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per claim; `--claims-page PAGE` narrows the run to those pages' claims."""
    if "claim" not in metafunc.fixturenames:
        return
    pages = set(metafunc.config.getoption("--claims-page"))
    unknown = pages - {c.page for c in CLAIMS}
    if unknown:
        raise pytest.UsageError(f"--claims-page: no ledger claims for {sorted(unknown)}")
    chosen = [c for c in CLAIMS if not pages or c.page in pages]
    if metafunc.definition.name == "test_failure_story_names_and_links_its_lab":
        chosen = [c for c in chosen if c.story]
    metafunc.parametrize("claim", chosen, ids=[f"{c.page}:{c.says[:40]}" for c in chosen])


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest) -> dict[str, str]:
    recorder = request.config.pluginmanager.get_plugin("run-outcomes")
    ran_java = recorder.outcomes.get(JAVA_RUN) == "passed"  # its reports, not another checkout user's
    return {**recorder.outcomes, **(java_outcomes(recorder.started) if ran_java else {})}


def test_the_ledger_is_not_empty():
    assert len(CLAIMS) > 0, "no claims in tests/claims/ledger"


def test_each_ledger_file_names_its_page():
    for path in LEDGER.rglob("*.yml"):
        data = yaml.safe_load(path.read_text()) or {}
        page = data.get("page")
        assert page and (ROOT / page).is_file(), f"{path.relative_to(ROOT)}: page {page!r} does not exist"
        assert data.get("claims"), f"{path.relative_to(ROOT)}: no claims"


def test_claim_is_on_its_page_and_backed(claim: Claim, outcomes: dict[str, str]):
    assert not claim.extra, f"{claim.where}: unknown keys {claim.extra} (use {sorted(KNOWN_KEYS)})"
    assert claim.says, f"{claim.ledger}: a claim without words"
    assert claim.says in page_text(ROOT / claim.page), (
        f"{claim.where}: these words are no longer on {claim.page}: re-read the claim, then update its ledger entry"
    )
    assert claim.tests or claim.sources, f"{claim.where}: names neither a test nor a source"
    listed = [*claim.tests, *claim.sources]
    assert all(isinstance(x, str) for x in listed), (
        f"{claim.where}: tests and sources are strings; a mapping among them is a claim indented one level too deep"
    )
    for node in claim.tests:
        matches = {k: v for k, v in outcomes.items() if k == node or k.startswith(node + "[")}
        assert matches, (
            f"{claim.where}: {node} did not run in this run; the ledger is proven by the whole suite "
            "(make test), or by naming the tests with the page: pytest <tests> tests/claims --claims-page PAGE"
        )
        bad = {k: v for k, v in matches.items() if v != "passed"}
        assert not bad, f"{claim.where}: backed by tests that did not pass: {bad}"


def test_failure_story_names_and_links_its_lab(claim: Claim, outcomes: dict[str, str]):
    assert (NOTEBOOKS / f"{claim.story}.py").is_file(), f"{claim.where}: no lab {claim.story}"
    if not claim.page.startswith("notebooks/"):
        assert f"labs/{claim.story}.ipynb" in (ROOT / claim.page).read_text(), (
            f"{claim.where}: the page tells {claim.story}'s story without linking labs/{claim.story}.ipynb"
        )
    lab_runs = [k for k in outcomes if k.startswith("tests/labs/") and f"[{claim.story}]" in k]
    assert lab_runs, f"{claim.where}: lab {claim.story} did not run in this run"
    assert all(outcomes[k] == "passed" for k in lab_runs), f"{claim.where}: lab {claim.story} did not pass"


def test_labs_assertions_unchanged_since_their_claims_were_revisited():
    recorded = yaml.safe_load(LAB_FINGERPRINTS.read_text()) or {}
    stories: dict[str, list[str]] = {}
    for claim in CLAIMS:
        if claim.story:
            stories.setdefault(claim.story, []).append(claim.where)
    stale = []
    for lab in sorted(p.stem for p in NOTEBOOKS.glob("lab*.py")):
        now = lab_fingerprint(lab)
        if recorded.get(lab) != now:
            told = "\n    ".join(stories.get(lab, ["(no claim tells its story)"]))
            stale.append(f"{lab}: assertions changed (fingerprint {now}); revisit:\n    {told}")
    assert not stale, "\n".join(stale) + f"\nthen record the new fingerprints in {LAB_FINGERPRINTS.relative_to(ROOT)}"


STORY_WORDS = re.compile(r"\b(lost|loses?|losing|loss|duplicat\w*|twice)\b", re.I)
FENCE = re.compile(r"^\s*```.*?^\s*```", re.M | re.S)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*\[(])")
# The question of a self-check: the title of a `??? question "..."` block, or a lab's <summary>...</summary>.
QUESTION = re.compile(r'^\s*\?\?\?\+? question ".*"[ \t]*$|<summary>.*?</summary>', re.M | re.S)


def story_sentences(page: Path) -> list[str]:
    """Sentences (table rows count as one) that tell of records lost or duplicated, outside code blocks."""
    text = page.read_text()
    if page.suffix == ".py":  # a lab: its markdown cells only
        cells = re.split(r"^# %% \[markdown\][^\n]*\n", text, flags=re.M)[1:]
        text = "\n\n".join(re.sub(r"^# ?", "", cell.split("\n# %%")[0], flags=re.M) for cell in cells)
    text = FENCE.sub("", text)
    text = re.sub(r"^#+ .*$", "", text, flags=re.M)  # headings name a topic; the sentences under them claim
    text = QUESTION.sub("", text)  # a self-check's question claims nothing; its answer does
    found = []
    for block in re.split(r"\n\s*\n", text):
        if block.lstrip().startswith("|"):
            pieces = block.splitlines()
        else:
            items = re.split(r"\n(?=\s*(?:[-*]|\d+\.)\s)", block)  # list items, then their sentences
            pieces = [sentence for item in items for sentence in SENTENCE_END.split(fold(item))]
        found += [fold(p) for p in pieces if STORY_WORDS.search(p) and not fold(p).endswith("?")]
    return found


def _pages_with_stories() -> list[Path]:
    pages = sorted((ROOT / "docs").rglob("*.md")) + sorted(NOTEBOOKS.glob("lab*.py"))
    return [p for p in pages if story_sentences(p)]


@pytest.mark.parametrize("page", _pages_with_stories(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_sentence_about_loss_or_duplicates_is_ledgered(page: Path):
    """A failure story ("lost", "duplicated", "twice") is a claim: each such sentence holds a ledgered claim."""
    rel = str(page.relative_to(ROOT))
    claims = [c.says for c in CLAIMS if c.page == rel]
    unbacked = [s for s in story_sentences(page) if not any(c in s or s in c for c in claims)]
    assert not unbacked, f"{rel}: sentences about loss or duplicates with no ledgered claim:\n- " + "\n- ".join(
        u[:160] for u in unbacked
    )
