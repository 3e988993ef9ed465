"""kafkalab.picture draws a recorded run (lab 1, acks=1) as a sequence diagram a phone can read.

The events are those of one real run of lab 1 (tests/kafkalab/data/lab01_acks_timeline.json). The SVG is
parsed as XML and checked for what the rendered lab page relies on: every event drawn, arrows for the
messages, lifelines that show the pauses and the crash, type that stays legible when the picture is
scaled to a phone's width, and nothing drawn outside a viewBox that scales with its container.
"""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kafkalab import picture
from kafkalab.lab import Event, Timeline

RUN = json.loads((Path(__file__).parent / "data" / "lab01_acks_timeline.json").read_text())
SVG_NS = "{http://www.w3.org/2000/svg}"
LEGIBLE_PX = 10  # the smallest type a reader gets, at the narrowest width the picture is made for


def recorded() -> Timeline:
    timeline = Timeline(RUN["title"], started=0.0)
    for e in RUN["events"]:
        timeline.record(e["lane"], e["what"], e.get("detail", ""), at=e["at"], to=e.get("to"), state=e.get("state"))
    return timeline


@pytest.fixture(scope="module")
def svg() -> ET.Element:
    return ET.fromstring(recorded().picture().svg())


def _all(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    """The elements drawn for the run (the legend's samples, class kp-key, left out)."""
    found = [el for el in root.iter(SVG_NS + tag) if "kp-key" not in el.get("class", "").split()]
    return [el for el in found if cls is None or cls in el.get("class", "").split()]


def _text(el: ET.Element) -> str:
    return "".join(el.itertext())


def _rows(root: ET.Element) -> list[str]:
    """The words of each event row, in order: a row starts at its time label (right of it, to the next one)."""
    texts = [t for t in _all(root, "text") if t.get("class") not in ("kp-box-text", "kp-legend")]
    rows: list[str] = []
    for t in texts:
        if t.get("class") == "kp-time":
            rows.append("")
        elif rows:
            rows[-1] = f"{rows[-1]} {_text(t)}".strip()
    return rows


def test_the_svg_is_xml_with_an_accessible_name(svg):
    assert svg.tag == SVG_NS + "svg"
    assert svg.get("role") == "img"
    title_id = svg.get("aria-labelledby").split()[0]
    (title,) = _all(svg, "title")
    assert title.get("id") == title_id and title.text == RUN["title"]


def test_every_event_is_drawn_in_time_order_with_its_time(svg):
    events = RUN["events"]
    rows = _rows(svg)
    assert len(rows) == len(events)
    for row, e in zip(rows, events, strict=True):
        assert row.startswith(e["lane"]), (row, e)
        assert e["what"] in row and e.get("detail", "") in row, (row, e)
        if e.get("to"):
            assert f"{e['lane']} \u2192 {e['to']}" in row
    times = [_text(t) for t in _all(svg, "text", "kp-time")]
    assert times == [f"{e['at']:.2f} s" for e in events], "hundredths of a second in a run under a minute"
    marks = _all(svg, "circle", "kp-dot") + _all(svg, "path", "kp-down")
    assert len(marks) == len(events)


def test_participants_in_their_order_and_messages_as_arrows(svg):
    boxes = [_text(t) for t in _all(svg, "text", "kp-box-text")]
    assert boxes == ["producer", "broker 1", "broker 2", "broker 3", "controller", "consumer"]
    arrows = _all(svg, "line", "kp-msg")
    assert len(arrows) == len(_all(svg, "path", "kp-head")) == sum(1 for e in RUN["events"] if e.get("to"))
    produce, ack = arrows
    assert float(produce.get("x1")) < float(produce.get("x2")), "producer (left) -> broker 2"
    assert float(ack.get("x1")) > float(ack.get("x2")), "broker 2 -> producer (left)"


def _lane_x(svg: ET.Element) -> dict[str, float]:
    """Each lane's lifeline x, read from the dots of its events."""
    marks = _all(svg, "circle", "kp-dot") + _all(svg, "path", "kp-down")
    dots = sorted(marks, key=lambda m: float(m.get("cy") or re.findall(r"[\d.]+", m.get("d"))[1]))
    xs = {}
    for e, mark in zip(RUN["events"], dots, strict=True):
        xs[e["lane"]] = float(mark.get("cx")) if mark.get("cx") else float(re.findall(r"[\d.]+", mark.get("d"))[0]) + 5
    return xs


def test_lifelines_show_the_pauses_and_the_crash(svg):
    x = _lane_x(svg)
    (cross,) = _all(svg, "path", "kp-down")
    killed_at = float(re.findall(r"[\d.]+", cross.get("d"))[1]) + 5
    broker2 = [ln for ln in _all(svg, "line", "kp-life") if float(ln.get("x1")) == x["broker 2"]]
    assert broker2, "broker 2 has a lifeline before the kill and after the restart"
    assert all(float(ln.get("y2")) <= killed_at or float(ln.get("y1")) > killed_at + 20 for ln in broker2)
    paused = [ln for ln in _all(svg, "line", "kp-paused")]
    assert {float(ln.get("x1")) for ln in paused} == {x["broker 1"], x["broker 3"]}


def test_a_legend_says_what_the_lifelines_mean(svg):
    assert [_text(t) for t in _all(svg, "text", "kp-legend")] == ["running", "paused", "down"]
    plain = Timeline("no faults", started=0.0)
    plain.record("producer", "produce", to="broker 1", at=1.0)
    assert _all(ET.fromstring(plain.picture().svg()), "text", "kp-legend") == [], "no legend: no lifeline changes"


def test_type_is_legible_at_a_phone_width_and_not_huge_on_a_desktop(svg):
    view_width = float(svg.get("viewBox").split()[2])
    sizes = {float(t.get("font-size")) for t in _all(svg, "text")}
    assert sizes and all(s * picture.PHONE_WIDTH_PX / view_width >= LEGIBLE_PX for s in sizes), sizes
    assert all(s * picture.MAX_SCALE <= 20 for s in sizes), "a wide page does not blow the type up"


def _estimated_width(t: ET.Element, size: float) -> float:
    """The layout's own estimate of a line's width, span by span (names in bold); the browser test measures."""
    spans = t.findall(SVG_NS + "tspan") or [t]
    return sum(picture._text_width(_text(s), size, bold=s.get("class") == "kp-lane") for s in spans)


def test_the_picture_scales_to_its_container_and_draws_inside_its_viewbox(svg):
    assert svg.get("width") == "100%" and svg.get("height") is None
    assert "px" not in svg.get("style", "")
    x0, y0, width, height = (float(v) for v in svg.get("viewBox").split())
    assert (x0, y0, width) == (0, 0, picture.WIDTH)
    for rect in _all(svg, "rect"):
        assert 0 <= float(rect.get("x")) and float(rect.get("x")) + float(rect.get("width")) <= width
        assert float(rect.get("y")) + float(rect.get("height")) <= height
    for line in _all(svg, "line"):
        for k in ("x1", "x2"):
            assert 0 <= float(line.get(k)) <= width
        for k in ("y1", "y2"):
            assert 0 <= float(line.get(k)) <= height
    for t in _all(svg, "text"):
        left, size = float(t.get("x")), float(t.get("font-size"))
        estimated = _estimated_width(t, size)
        if t.get("text-anchor") == "end":
            assert left - estimated >= 0, _text(t)
        else:
            assert left + estimated <= width, _text(t)
        assert float(t.get("y")) <= height


def test_the_html_is_a_figure_without_script_and_the_text_is_a_table():
    shown = recorded().picture()
    html = shown._repr_html_()
    assert html.startswith('<figure class="kafkalab-picture"') and "<script" not in html
    assert f"max-width:{round(picture.WIDTH * picture.MAX_SCALE)}px" in html
    assert shown.svg() in html and RUN["title"] in html
    bundle = shown._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    lines = bundle["text/plain"].splitlines()
    assert lines[0] == RUN["title"] and len(lines) == 1 + len(RUN["events"])
    assert "producer -> broker 2" in bundle["text/plain"]


def test_save_writes_the_svg(tmp_path):
    path = recorded().picture().save(tmp_path / "run.svg")
    assert ET.parse(path).getroot().tag == SVG_NS + "svg"


def test_a_long_word_is_cut_to_fit():
    timeline = Timeline("long", started=0.0)
    timeline.record("producer", "x" * 120, "y" * 80, at=1.0)
    root = ET.fromstring(timeline.picture().svg())
    rows = _rows(root)
    assert rows[0].replace(" ", "").endswith("x" * 120 + "y" * 80)
    for t in _all(root, "text"):
        if t.get("text-anchor") != "end":
            assert float(t.get("x")) + _estimated_width(t, float(t.get("font-size"))) <= picture.WIDTH


def test_lane_order_puts_clients_brokers_controller_consumers():
    order = picture.lane_order(["broker 3", "controller", "consumer b", "broker 10", "producer", "broker 1", "faults"])
    assert order == ["producer", "faults", "broker 1", "broker 3", "broker 10", "controller", "consumer b"]


def test_bad_input_says_what_to_do():
    with pytest.raises(ValueError, match="state must be one of"):
        picture.sequence([Event(1.0, "broker 1", "frozen", state="frozen")])
    with pytest.raises(ValueError, match=r"lanes= leaves out \['producer'\]"):
        picture.sequence([Event(1.0, "broker 1", "x", to="producer")], lanes=["broker 1"])
