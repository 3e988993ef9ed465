"""Every lab page shows the picture of its run, readable on a desktop and on a phone, and results only.

The picture is the inline SVG that ``Timeline.picture()`` (kafkalab.picture) puts in the executed notebook.
At a desktop width (1280 px) and a phone width (390 px) each lab page must:

- show at least one picture, drawn (a box of non-zero size);
- not overflow sideways: the page is no wider than the window, each picture stays inside its output
  area, and each line of text of a picture stays inside the picture (measured with the browser's fonts,
  so the layout's own width estimate is checked too);
- keep the picture's type legible: every text of a picture renders at 10 px or more (font size times the
  picture's scale), and at most 24 px on the desktop;
- show no stderr block (tests/labs leaves progress bars out of the page; anything else on stderr is a
  problem to fix in the lab).

The lab pages render the notebooks that tests/labs executes in the same run (the root conftest.py runs
the labs first). A page still showing the "not been run" note fails here, as in tests/site: run the labs.
Screenshots of every picture go to the screenshot folders (tests/browser/conftest.py).
"""

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LABS = sorted(p.stem for p in (REPO / "notebooks").glob("lab*.py"))
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LEGIBLE_PX = 10.0
LARGEST_PX = 24.0
SLACK_PX = 0.5  # sub-pixel rounding of layout boxes


def _note_mark() -> str:
    spec = importlib.util.spec_from_file_location("unexecuted_labs", REPO / "docs" / "hooks" / "unexecuted_labs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.NOTE_MARK


MEASURE = """() => {
  const root = document.documentElement;
  const pictures = [...document.querySelectorAll('figure.kafkalab-picture')].map((figure) => {
    const svg = figure.querySelector('svg');
    const box = svg.getBoundingClientRect();
    const area = (figure.closest('.jp-OutputArea-output') || figure.parentElement).getBoundingClientRect();
    const scale = box.width / svg.viewBox.baseVal.width;
    const texts = [...svg.querySelectorAll('text')].map((t) => {
      const r = t.getBoundingClientRect();
      return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
              left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    });
    return {title: figure.querySelector('figcaption')?.textContent || '', left: box.left, right: box.right,
            top: box.top, bottom: box.bottom, width: box.width, height: box.height,
            areaLeft: area.left, areaRight: area.right, texts};
  });
  const stderr = [...document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map((el) => el.textContent.trim().slice(0, 120));
  return {pageWidth: root.scrollWidth, windowWidth: root.clientWidth, pictures, stderr};
}"""


@pytest.mark.parametrize("device", VIEWPORTS)
@pytest.mark.parametrize("lab", LABS)
def test_lab_page_shows_its_picture_readable_and_results_only(site, browser, new_page, screenshot_dirs, lab, device):
    page_path = f"labs/{lab}/"
    assert _note_mark() not in site.html(page_path), (
        f"{lab} is rendered unexecuted: run it first (pytest tests/labs -k {lab}), in the same run or before"
    )
    viewport = VIEWPORTS[device]
    with new_page(browser, viewport=viewport) as (page, traffic):
        page.goto(site.url(page_path))
        page.wait_for_load_state("load")
        seen = page.evaluate(MEASURE)
        page.add_style_tag(content=".md-header { position: static !important; }")  # not over a tall screenshot
        for i, _ in enumerate(seen["pictures"]):
            figure = page.locator("figure.kafkalab-picture").nth(i)
            for folder in screenshot_dirs:
                figure.screenshot(path=str(folder / f"picture-{lab}-{device}-{i + 1}.png"))
    assert traffic.problems() == []
    assert seen["pictures"], f"{lab} at {device} width: no picture of the run (Timeline.picture()) on the page"
    assert seen["stderr"] == [], f"{lab} at {device} width: stderr blocks on the page: {seen['stderr']}"
    assert seen["pageWidth"] <= seen["windowWidth"], f"{lab}: the page scrolls sideways at {device} width"
    for n, pic in enumerate(seen["pictures"], 1):
        where = f"{lab} at {device} width, picture {n} ({pic['title']!r})"
        assert pic["width"] > 0 and pic["height"] > 0, f"{where}: not drawn"
        assert pic["left"] >= pic["areaLeft"] - SLACK_PX and pic["right"] <= pic["areaRight"] + SLACK_PX, (
            f"{where}: sticks out of its output area"
        )
        assert pic["right"] <= seen["windowWidth"] + SLACK_PX, f"{where}: wider than the window"
        outside = [
            t["text"]
            for t in pic["texts"]
            if t["left"] < pic["left"] - SLACK_PX or t["right"] > pic["right"] + SLACK_PX
        ]
        assert not outside, f"{where}: text runs out of the picture: {outside}"
        sizes = [t["px"] for t in pic["texts"]]
        assert min(sizes) >= LEGIBLE_PX, f"{where}: type down to {min(sizes):.1f} px (legible: {LEGIBLE_PX} px)"
        assert max(sizes) <= LARGEST_PX, f"{where}: type up to {max(sizes):.1f} px"
