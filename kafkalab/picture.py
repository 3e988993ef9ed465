"""A lab run drawn as what it is: a sequence of events between participants (producer, brokers,
controller, consumer), time flowing down.

The picture is an SVG generated here from the run's own events, in the visual language of the
guide's mermaid sequence diagrams: a box per participant, a lifeline under it, an arrow per message.
It is built to be read on a phone: the participants are narrow columns on the left (each enters the
picture with its name at the top of its lifeline), and each event's words are written on its own row
to the right, wrapped, at a size that stays legible when the picture is scaled to a phone's width.

Jupyter shows a :class:`Picture` (it has ``_repr_html_``), and mkdocs-jupyter renders that HTML as it
is: an inline ``<svg>``, no script, coloured through the site's mermaid palette variables (light and
dark) with fallbacks for Jupyter.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .lab import Event

__all__ = ["FONT_PX", "MAX_SCALE", "PHONE_WIDTH_PX", "STATES", "WIDTH", "Picture", "lane_order", "sequence"]

WIDTH = 360  # the viewBox width, in SVG user units
FONT_PX = 13  # event text, in user units; the time gutter uses SMALL_PX
SMALL_PX = 12
PHONE_WIDTH_PX = 300  # the narrowest width the picture is made for: a 390 px phone's notebook output
MAX_SCALE = 1.3  # on a wide page the picture grows to WIDTH * MAX_SCALE px, no further
STATES = ("up", "paused", "down")

_LANE_GAP = 20  # between two lifelines
_HEADER_STEP = 24  # each participant's box starts this much below the previous one
_BOX_H = 20
_LINE = 17  # one line of event text
_ROW_PAD = 7
_TOP = 6
_MARGIN = 6

# Colours: the site's mermaid palette (Material for MkDocs, light and dark), else Jupyter's, else fixed.
_FG = "var(--md-default-fg-color,var(--jp-content-font-color1,#1f1f1f))"
_MUTED = "var(--md-default-fg-color--light,var(--jp-content-font-color2,#555))"
_ACTOR = "var(--md-mermaid-sequence-actor-border-color,#7e57c2)"
_LINE_FG = "var(--md-mermaid-sequence-message-line-color,var(--jp-content-font-color1,#333))"
_RULES = {
    "text": f"font-family:var(--md-mermaid-font-family,-apple-system,Helvetica,Arial,sans-serif);fill:{_FG}",
    ".kp-time,.kafkalab-picture .kp-detail,.kafkalab-picture .kp-to,.kafkalab-picture .kp-legend": f"fill:{_MUTED}",
    ".kp-lane": "font-weight:600",
    ".kp-box": "fill:var(--md-mermaid-sequence-actor-bg-color,var(--jp-layout-color0,#fff));"
    f"stroke:{_ACTOR};stroke-width:1.2",
    ".kp-box-text": "fill:var(--md-mermaid-sequence-actor-fg-color,var(--jp-content-font-color1,#1f1f1f))",
    ".kp-life": f"stroke:{_ACTOR};stroke-width:1.4;opacity:.55",
    ".kp-paused": "stroke-dasharray:3 4;opacity:.9",
    ".kp-dot": f"fill:{_ACTOR}",
    ".kp-msg": f"stroke:{_LINE_FG};stroke-width:1.3;fill:none",
    ".kp-head": f"fill:{_LINE_FG}",
    ".kp-down": "stroke:#d32f2f;stroke-width:2.2;fill:none",
}
_STYLE = "".join(f".kafkalab-picture {sel}{{{rule}}}" for sel, rule in _RULES.items()) + (
    "[data-md-color-scheme=slate] .kafkalab-picture .kp-down{stroke:#ef5350}"
)


@dataclass(frozen=True)
class Picture:
    """A drawn timeline. Jupyter and the rendered lab pages show its HTML: an inline SVG in a figure."""

    title: str
    svg_text: str
    table: str  # the events as text: what a terminal (or a reader without the picture) gets

    def svg(self) -> str:
        """The SVG document, on its own (save it, or embed it)."""
        return self.svg_text

    def _repr_html_(self) -> str:
        caption_style = "margin:0 0 0.4em;font-weight:600;font-style:normal;text-align:left;max-width:none"
        caption = f'<figcaption style="{caption_style}">{escape(self.title)}</figcaption>' if self.title else ""
        style = f"display:block;width:100%;margin:0.6em 0;max-width:{round(WIDTH * MAX_SCALE)}px"
        return f'<figure class="kafkalab-picture" style="{style}">{caption}{self.svg_text}</figure>'

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self._repr_html_(), "text/plain": f"{self.title}\n{self.table}".strip()}

    def save(self, path: str | Path) -> Path:
        """Write the SVG to ``path`` and return it."""
        path = Path(path)
        path.write_text(self.svg_text, encoding="utf-8")
        return path


def lane_order(lanes: Iterable[str]) -> list[str]:
    """The default order of participants, left to right: clients (anything that is not a broker, the
    controller or a consumer) in order of appearance, then ``broker N`` by number, the controller, and
    the lanes whose name starts with ``consumer``."""

    def rank(item: tuple[int, str]) -> tuple[int, int, int]:
        n, lane = item
        if m := re.fullmatch(r"broker (\d+)", lane):
            return (1, int(m.group(1)), n)
        if lane == "controller":
            return (2, 0, n)
        if lane.startswith("consumer"):
            return (3, 0, n)
        return (0, 0, n)

    seen = list(dict.fromkeys(lanes))
    return [lane for _, lane in sorted(enumerate(seen), key=rank)]


def sequence(
    events: Sequence[Event],
    *,
    lanes: Sequence[str] | None = None,
    title: str = "",
    started: float | None = None,
) -> Picture:
    """Draw ``events`` (each with ``at``, ``lane``, ``what``, ``detail``, and optionally ``to`` and
    ``state``) as a sequence diagram. ``lanes`` fixes the participants left to right (every lane an
    event names must be in it); ``started`` is the time zero of the "N.NN s" labels (default: the
    first event)."""
    events = sorted(events, key=lambda e: e.at)
    named = [e.lane for e in events] + [e.to for e in events if e.to]
    if lanes is None:
        order = lane_order(named)
    else:
        order = list(dict.fromkeys(lanes))
        missing = sorted(set(named) - set(order))
        if missing:
            raise ValueError(f"lanes= leaves out {missing}: list every lane the events name, or leave lanes= out")
    for e in events:
        if e.state is not None and e.state not in STATES:
            raise ValueError(f"event {e.what!r}: state must be one of {STATES}, not {e.state!r}")
    zero = started if started is not None else (events[0].at if events else 0.0)
    return Picture(title, _draw(events, order, zero, title), _table(events, zero))


def _table(events: Sequence[Event], zero: float) -> str:
    rows = []
    for e in events:
        who = f"{e.lane} -> {e.to}" if e.to else e.lane
        rows.append(f"{e.at - zero:+8.2f} s  {who:<24} {e.what}{'  (' + e.detail + ')' if e.detail else ''}")
    return "\n".join(rows)


def _char_em(c: str) -> float:
    """A generous estimate of one character's advance, in em, for the sans-serif fonts browsers pick
    (Helvetica, Arial, Liberation Sans, Roboto, San Francisco); DejaVu Sans runs about 8 % wider."""
    if c in " il.,:;'|!()[]{}`ftjrI-":
        return 0.33
    if c in "mwMW@%":
        return 0.88
    if c.isupper() or c in "&#":
        return 0.7
    return 0.57


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Estimated width of ``text`` at font size ``size`` (user units)."""
    return sum(_char_em(c) for c in text) * size * (1.08 if bold else 1.0)


def _wrap(tokens: list[tuple[str, str]], width: float) -> list[list[tuple[str, str]]]:
    """Lay out (word, class) tokens greedily into lines no wider than ``width``; a word longer than a
    line is cut into pieces that fit."""
    lines: list[list[tuple[str, str]]] = [[]]
    used = 0.0
    for word, cls in tokens:
        bold = cls == "kp-lane"
        while _text_width(word, FONT_PX, bold) > width:  # a word longer than a line: cut it
            cut = len(word) - 1
            while cut > 1 and _text_width(word[:cut], FONT_PX, bold) > width:
                cut -= 1
            if lines[-1]:
                lines.append([])
            lines[-1].append((word[:cut], cls))
            lines.append([])
            word, used = word[cut:], 0.0
        w = _text_width(word, FONT_PX, bold)
        space = _text_width(" ", FONT_PX) if lines[-1] else 0.0
        if lines[-1] and used + space + w > width:
            lines.append([])
            used, space = 0.0, 0.0
        lines[-1].append((word, cls))
        used += space + w
    return [line for line in lines if line]


def _legend(states: set[str | None], top: float) -> tuple[list[str], float]:
    """What the lifelines mean, under the picture, when any lane changed state; and the new bottom."""
    if not states - {None, "up"}:
        return [], top
    y, x, out = top + 14, float(_MARGIN), []
    for state, label in (("up", "running"), ("paused", "paused"), ("down", "down")):
        if state != "up" and state not in states:
            continue
        if state == "down":
            out.append(_tag("path", class_="kp-down kp-key", d=f"M{_fmt(x + 3)} {_fmt(y - 9)} l8 8 m0 -8 l-8 8"))
        else:
            cls = "kp-life kp-paused kp-key" if state == "paused" else "kp-life kp-key"
            out.append(_tag("line", class_=cls, x1=x + 7, y1=y - 12, x2=x + 7, y2=y))
        out.append(_tag("text", label, class_="kp-legend", x=x + 18, y=y, font_size=SMALL_PX))
        x += 18 + _text_width(label, SMALL_PX) + 16
    return out, y + 4


def _fit(name: str, width: float) -> str:
    """``name``, cut short with an ellipsis if it is wider than ``width`` (the rows name the lane in full)."""
    if _text_width(name, FONT_PX) <= width:
        return name
    while len(name) > 1 and _text_width(name + "\u2026", FONT_PX) > width:
        name = name[:-1]
    return name.rstrip() + "\u2026"


def _fmt(v: float) -> str:
    return str(round(v, 1)).removesuffix(".0")


def _tag(name: str, text: str | None = None, **attrs: object) -> str:
    """One SVG element; attribute names use _ for - (font_size -> font-size) and class_ for class."""
    rendered = " ".join(
        f'{k.rstrip("_").replace("_", "-")}="{_fmt(v) if isinstance(v, float) else escape(str(v))}"'
        for k, v in attrs.items()
    )
    return f"<{name} {rendered}/>" if text is None else f"<{name} {rendered}>{text}</{name}>"


def _draw(events: Sequence[Event], lanes: list[str], zero: float, title: str) -> str:
    span = max((e.at - zero for e in events), default=0.0)
    times = [f"{e.at - zero:.{2 if span < 60 else 1}f} s" for e in events]  # hundredths tell close events apart
    gutter = max([_text_width(t, SMALL_PX) for t in times] + [0.0]) + _MARGIN + 4
    col = {lane: gutter + 8.0 + i * _LANE_GAP for i, lane in enumerate(lanes)}
    text_x = gutter + 8.0 + max(len(lanes) - 1, 0) * _LANE_GAP + 14
    text_w = WIDTH - _MARGIN - text_x
    boxes: list[str] = []
    life_top: dict[str, float] = {}
    for i, lane in enumerate(lanes):  # each participant enters with its box at the top of its lifeline
        y = float(_TOP + i * _HEADER_STEP)
        x, name = col[lane] - 7, _fit(lane, WIDTH - _MARGIN - (col[lane] - 7) - 14)
        w = _text_width(name, FONT_PX) + 14
        boxes.append(_tag("rect", class_="kp-box", x=x, y=y, width=w, height=_BOX_H, rx=3))
        boxes.append(_tag("text", escape(name), class_="kp-box-text", x=x + 7, y=y + 14.5, font_size=FONT_PX))
        life_top[lane] = y + _BOX_H
    y = float(_TOP + len(lanes) * _HEADER_STEP + 10)
    dots: list[float] = []
    body: list[str] = []
    for e, t in zip(events, times, strict=True):  # one row per event
        tokens = [(w, "kp-lane") for w in e.lane.split(" ")]
        tokens += [(w, "kp-to") for w in f"\u2192 {e.to}".split(" ")] if e.to else []
        tokens += [(w, "kp-what") for w in e.what.split()]
        lines = _wrap(tokens, text_w) + _wrap([(w, "kp-detail") for w in e.detail.split()], text_w)
        dot_y = y + _LINE - 5
        dots.append(dot_y)
        body.append(_tag("text", t, class_="kp-time", x=gutter, y=y + _LINE - 1, font_size=SMALL_PX, text_anchor="end"))
        for n, line in enumerate(lines):
            spans = "".join(
                f'<tspan class="{cls}">{" " if k else ""}{escape(word)}</tspan>' for k, (word, cls) in enumerate(line)
            )
            body.append(_tag("text", spans, x=text_x, y=y + _LINE - 1 + n * _LINE, font_size=FONT_PX))
        x0 = col[e.lane]
        if e.to and e.to != e.lane:
            sign = 1 if col[e.to] > x0 else -1
            tip = col[e.to] - sign * 1.5
            body.append(_tag("line", class_="kp-msg", x1=x0, y1=dot_y, x2=tip - sign * 6, y2=dot_y))
            body.append(_tag("path", class_="kp-head", d=f"M{_fmt(tip)} {_fmt(dot_y)} l{-sign * 7} -4 v8 z"))
        if e.state == "down":  # a cross where the lane died
            body.append(_tag("path", class_="kp-down", d=f"M{_fmt(x0 - 5)} {_fmt(dot_y - 5)} l10 10 m0 -10 l-10 10"))
        else:
            body.append(_tag("circle", class_="kp-dot", cx=x0, cy=dot_y, r=4))
        y += len(lines) * _LINE + _ROW_PAD
    bottom = y + 2
    lives: list[str] = []
    for lane in lanes:  # lifelines: solid while up, dashed while paused, none while down
        state, since = "up", life_top[lane]
        changes = [(at, e.state) for e, at in zip(events, dots, strict=True) if e.lane == lane and e.state]
        for at, new in [*changes, (bottom, None)]:
            if state != "down" and at > since:
                cls = "kp-life kp-paused" if state == "paused" else "kp-life"
                lives.append(_tag("line", class_=cls, x1=col[lane], y1=since, x2=col[lane], y2=at))
            if new is not None:
                state, since = new, at
    legend, bottom = _legend({e.state for e in events}, bottom)
    digest = hashlib.sha1(("".join(body) + title).encode()).hexdigest()[:10]
    desc = f"{len(events)} events between {', '.join(lanes)}, in time order."
    svg = _tag(
        "svg",
        _tag("title", escape(title or "timeline of the run"), id=f"kp-{digest}-t")
        + _tag("desc", escape(desc), id=f"kp-{digest}-d")
        + f"<style>{_STYLE}</style>"
        + "".join(lives + boxes + body + legend),
        xmlns="http://www.w3.org/2000/svg",
        class_="kafkalab-picture",
        viewBox=f"0 0 {WIDTH} {round(bottom + _MARGIN)}",
        width="100%",
        preserveAspectRatio="xMinYMin meet",
        role="img",
        aria_labelledby=f"kp-{digest}-t kp-{digest}-d",
        style="display:block;height:auto;max-width:100%",
    )
    return svg
