"""kafkalab.chart draws a run's samples as lines over time, with a fault's stretch shaded, readable on a phone;
kafkalab.recorders turns librdkafka's statistics and error_cb into the numbers the chart draws."""

import json
import xml.etree.ElementTree as ET

import pytest

from kafkalab.chart import line_chart, nice_ticks
from kafkalab.picture import FONT_PX, PHONE_WIDTH_PX, WIDTH
from kafkalab.recorders import ErrorCallbacks, Statistics

SVG = "{http://www.w3.org/2000/svg}"
QUEUE = [(t / 2, 1 if t < 6 else (t - 5) * 10 if t < 20 else 1) for t in range(30)]


@pytest.fixture(scope="module")
def chart():
    return line_chart(
        {"records queued (msg_cnt)": QUEUE, "failed so far": [(t / 2, 0) for t in range(30)]},
        shaded=[(3.0, 10.0, "brokers down, then restarting")],
        title="a run",
        y_label="records",
    )


def test_the_chart_is_an_accessible_svg_that_scales(chart):
    svg = ET.fromstring(chart.svg())
    assert svg.get("role") == "img" and svg.get("width") == "100%"
    assert svg.get("viewBox").startswith(f"0 0 {WIDTH} ")
    assert svg.find(SVG + "title").text == "a run"
    assert 'class="kafkalab-picture"' in chart._repr_html_(), "shown like every lab picture"


def test_every_series_is_a_line_and_the_fault_is_shaded(chart):
    svg = ET.fromstring(chart.svg())
    lines = [p for p in svg.iter(SVG + "path") if p.get("class") == "kc-line"]
    assert len(lines) == 2
    assert lines[0].get("d").count("L") == len(QUEUE) - 1, "one vertex per sample"
    (band,) = [r for r in svg.iter(SVG + "rect") if r.get("class") == "kc-shade"]
    assert float(band.get("width")) > 0
    texts = ["".join(t.itertext()) for t in svg.iter(SVG + "text")]
    assert "brokers down, then restarting" in texts and "records queued (msg_cnt)" in texts
    assert "0" in texts and "150" in texts, "the y axis reaches past the highest sample (140)"


def test_type_stays_legible_and_inside_the_picture_at_phone_width(chart):
    svg = ET.fromstring(chart.svg())
    width = float(svg.get("viewBox").split()[2])
    for t in svg.iter(SVG + "text"):
        assert float(t.get("font-size")) * PHONE_WIDTH_PX / width >= 10
        x, text = float(t.get("x")), "".join(t.itertext())
        estimate = len(text) * FONT_PX * 0.6
        left = {"end": x - estimate, "middle": x - estimate / 2}.get(t.get("text-anchor"), x)
        assert left >= 0 and left + estimate <= width + 1, f"{text!r} runs out of the picture"


def test_ticks_and_bad_input():
    assert nice_ticks(600) == [0, 200, 400, 600]
    assert nice_ticks(48) == [0, 10, 20, 30, 40, 50]
    with pytest.raises(ValueError):
        line_chart({})


class _Err:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name

    def str(self):
        return f"{self._name} text"

    def fatal(self):
        return False


def test_statistics_and_errors_are_kept_as_numbers():
    stats = Statistics()
    broker = {"nodeid": 1, "state": "UP", "waitresp_cnt": 2, "outbuf_cnt": 1, "txretries": 3, "rtt": {"avg": 4000}}
    boot = {"nodeid": -1, "state": "INIT", "waitresp_cnt": 9, "outbuf_cnt": 9, "txretries": 9, "rtt": {"avg": 0}}
    stats(json.dumps({"msg_cnt": 7, "msg_size": 70, "brokers": {"b1": broker, "boot": boot}}))
    (s,) = stats.samples
    assert (s.queued, s.queued_bytes, s.in_flight, s.outbuf, s.retries, s.brokers_up, s.rtt_ms) == (
        7,
        70,
        2,
        1,
        3,
        1,
        4.0,
    )
    errors = ErrorCallbacks()
    errors(_Err("_TRANSPORT"))
    errors(_Err("_ALL_BROKERS_DOWN"))
    assert errors.names() == {"_TRANSPORT", "_ALL_BROKERS_DOWN"}
    assert errors.first("_ALL_BROKERS_DOWN").text == "_ALL_BROKERS_DOWN text"
    assert errors.first("_RESOLVE") is None
