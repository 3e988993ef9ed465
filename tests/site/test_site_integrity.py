"""The three trees agree: every example is shown on a page and tested; every include resolves."""

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
# Support code the examples call but no page needs to show (creating a topic and waiting for it).
JAVA_SUPPORT = {"Topics.java"}
INCLUDE = re.compile(r'--8<--\s+"([^":]+)(?::([\w-]+))?"')


def _includes() -> list[tuple[Path, str, str | None]]:
    found = []
    for page in DOCS.rglob("*.md"):
        for path, section in INCLUDE.findall(page.read_text()):
            found.append((page, path, section or None))
    return found


def _example_files() -> list[Path]:
    python = [p for p in EXAMPLES.rglob("[0-9][0-9]_*.py") if ".venv" not in p.parts]
    java = [p for p in (EXAMPLES / "java" / "src" / "main").rglob("*.java") if p.name not in JAVA_SUPPORT]
    return python + java


def test_every_include_and_section_exists():
    for page, path, section in _includes():
        target = ROOT / path
        assert target.is_file(), f"{page.relative_to(ROOT)} includes missing {path}"
        if section:
            text = target.read_text()
            for edge in ("start", "end"):
                assert f"--8<-- [{edge}:{section}]" in text, (
                    f"{page.relative_to(ROOT)}: no [{edge}:{section}] in {path}"
                )


def test_every_example_is_shown_on_a_page():
    shown = {(ROOT / path).resolve() for _, path, _ in _includes()}
    unused = [str(p.relative_to(ROOT)) for p in _example_files() if p.resolve() not in shown]
    assert not unused, f"examples no page includes: {unused}"


def test_example_folders_mirror_pages_and_have_tests():
    for folder in {p.parent for p in EXAMPLES.rglob("[0-9][0-9]_*.py")}:
        rel = folder.relative_to(EXAMPLES)
        assert (DOCS / rel.with_suffix(".md")).is_file(), f"examples/{rel} has no page docs/{rel}.md"
        assert list(folder.glob("test_*.py")), f"examples/{rel} has no test module"


def test_examples_follow_the_house_shape():
    for path in EXAMPLES.rglob("[0-9][0-9]_*.py"):
        text = path.read_text()
        name = path.relative_to(ROOT)
        assert 'os.environ.get("KAFKA_BOOTSTRAP_SERVERS"' in text, f"{name}: one connection setting"
        assert "def main(" in text and 'if __name__ == "__main__":' in text, f"{name}: main() and a __main__ guard"
