"""A lab run's numbers drawn as what they are: lines over time, with the stretches of a fault shaded.

Where :mod:`kafkalab.picture` draws the events of a run, this draws its measurements: a client's
queue depth sampled every half second, say, with the time the brokers were down shaded. The chart is
an SVG built here from the samples themselves, in the same visual language and for the same readers:
a viewBox of :data:`kafkalab.picture.WIDTH` units that scales to a phone's width with its type still
legible, coloured through the site's palette variables (light and dark), no script.

>>> chart = line_chart({"queued": [(0.0, 1), (1.0, 40)]}, shaded=[(0.5, 1.0, "brokers down")])  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from html import escape

from .picture import FONT_PX, WIDTH, Picture

__all__ = ["line_chart", "nice_ticks"]

_HEIGHT = 210  # the plot area and its axes, before the legend
_PAD_TOP = 24  # room for the shaded stretches' labels
_PAD_BOTTOM = 40  # x tick labels and the axis title
_PAD_RIGHT = 10
# Line colours: the site's palette (primary, accent), a fixed red; each line also has its own dash.
_COLOURS = (
    "var(--md-primary-fg-color,var(--jp-brand-color1,#4051b5))",
    "var(--md-accent-fg-color,#e65100)",
    "#d32f2f",
)
_DASHES = ("", "6 4", "2 3")
_FG = "var(--md-default-fg-color,var(--jp-content-font-color1,#1f1f1f))"
_MUTED = "var(--md-default-fg-color--light,var(--jp-content-font-color2,#555))"
_STYLE = (
    f".kafkalab-chart text{{font-family:var(--md-text-font-family,-apple-system,Helvetica,Arial,sans-serif);"
    f"fill:{_FG}}}"
    f".kafkalab-chart .kc-muted{{fill:{_MUTED}}}"
    f".kafkalab-chart .kc-axis{{stroke:{_MUTED};stroke-width:1;fill:none}}"
    f".kafkalab-chart .kc-grid{{stroke:{_MUTED};stroke-width:.5;opacity:.35}}"
    f".kafkalab-chart .kc-shade{{fill:{_MUTED};opacity:.18}}"
    ".kafkalab-chart .kc-line{stroke-width:2.2;fill:none;stroke-linejoin:round}"
)


def nice_ticks(top: float, most: int = 5) -> list[float]:
    """Tick values from 0 up to at least ``top``: at most ``most`` + 1 of them, on a 1-2-5 step."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _fmt(v: float) -> str:
    return str(round(v, 1)).removesuffix(".0")


def _label(v: float) -> str:
    return f"{v / 1000:g}k" if v >= 10_000 else f"{v:g}"


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    shaded: Sequence[tuple[float, float, str]] = (),
    title: str = "",
    y_label: str = "",
    x_label: str = "seconds since the start",
) -> Picture:
    """Draw each series (name -> (x, y) points, x in seconds) as a line, and each ``shaded`` stretch
    (start, end, label) as a band behind them. Returns a :class:`kafkalab.picture.Picture` (Jupyter and the
    lab pages show it); its ``table`` lists every point, for a reader without the picture."""
    points = [p for pts in series.values() for p in pts]
    if not points:
        raise ValueError("line_chart: no points to draw")
    if len(series) > len(_COLOURS):
        raise ValueError(f"line_chart: at most {len(_COLOURS)} series")
    x_lo = min([x for x, _ in points] + [s for s, _, _ in shaded])
    x_hi = max([x for x, _ in points] + [e for _, e, _ in shaded])
    x_ticks = nice_ticks(x_hi - min(x_lo, 0.0) if x_lo >= 0 else x_hi - x_lo)
    x_lo = min(x_lo, 0.0)
    x_hi = x_lo + x_ticks[-1]
    y_ticks = nice_ticks(max(y for _, y in points))
    y_hi = y_ticks[-1]
    gutter = max(len(_label(t)) for t in y_ticks) * FONT_PX * 0.6 + 22
    left, right = gutter, WIDTH - _PAD_RIGHT
    top, bottom = float(_PAD_TOP), float(_PAD_TOP + _HEIGHT - _PAD_BOTTOM)

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * (right - left)

    def py(y: float) -> float:
        return bottom - y / y_hi * (bottom - top)

    out: list[str] = []
    for start, end, label in shaded:
        x0, x1 = px(start), px(end)
        out.append(f'<rect class="kc-shade" x="{_fmt(x0)}" y="{_fmt(top)}" width="{_fmt(x1 - x0)}" '
                   f'height="{_fmt(bottom - top)}"/>')  # fmt: skip
        width = len(label) * FONT_PX * 0.55
        lx = min(max(x0, left), right - width)
        out.append(f'<text class="kc-muted" x="{_fmt(lx)}" y="{_fmt(top - 7)}" font-size="{FONT_PX}">'
                   f"{escape(label)}</text>")  # fmt: skip
    for t in y_ticks:
        y = py(t)
        out.append(f'<line class="kc-grid" x1="{_fmt(left)}" y1="{_fmt(y)}" x2="{_fmt(right)}" y2="{_fmt(y)}"/>')
        out.append(f'<text x="{_fmt(left - 5)}" y="{_fmt(y + 4)}" font-size="{FONT_PX}" text-anchor="end">'
                   f"{_label(t)}</text>")  # fmt: skip
    for t in x_ticks:
        x = px(t)
        anchor = "end" if t == x_ticks[-1] else "middle"
        out.append(f'<line class="kc-axis" x1="{_fmt(x)}" y1="{_fmt(bottom)}" x2="{_fmt(x)}" y2="{_fmt(bottom + 4)}"/>')
        out.append(f'<text x="{_fmt(x)}" y="{_fmt(bottom + 18)}" font-size="{FONT_PX}" text-anchor="{anchor}">'
                   f"{_label(t)}</text>")  # fmt: skip
    out.append(f'<path class="kc-axis" d="M{_fmt(left)} {_fmt(top)} V{_fmt(bottom)} H{_fmt(right)}"/>')
    out.append(f'<text class="kc-muted" x="{_fmt(right)}" y="{_fmt(bottom + 35)}" font-size="{FONT_PX}" '
               f'text-anchor="end">{escape(x_label)}</text>')  # fmt: skip
    if y_label:
        out.append(f'<text class="kc-muted" x="{_fmt(left + 4)}" y="{_fmt(top + 14)}" font-size="{FONT_PX}">'
                   f"{escape(y_label)}</text>")  # fmt: skip
    y = bottom + 58
    for i, (name, pts) in enumerate(series.items()):
        style = f"stroke:{_COLOURS[i]}" + (f";stroke-dasharray:{_DASHES[i]}" if _DASHES[i] else "")
        if pts:
            d = " ".join(f"{'M' if k == 0 else 'L'}{_fmt(px(x))} {_fmt(py(v))}" for k, (x, v) in enumerate(pts))
            out.append(f'<path class="kc-line" style="{style}" d="{d}"/>')
        out.append(f'<path class="kc-line kc-key" style="{style}" d="M{_fmt(left)} {_fmt(y - 4)} h26"/>')
        out.append(f'<text x="{_fmt(left + 34)}" y="{_fmt(y)}" font-size="{FONT_PX}">{escape(name)}</text>')
        y += 20
    height = round(y - 6)
    digest = hashlib.sha1(("".join(out) + title).encode()).hexdigest()[:10]
    desc = f"A line chart of {', '.join(series)} over time" + (
        f", with {', '.join(label for _, _, label in shaded)} shaded." if shaded else "."
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kafkalab-chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-labelledby="kc-{digest}-t kc-{digest}-d" style="display:block;height:auto;max-width:100%">'
        f'<title id="kc-{digest}-t">{escape(title or "chart of the run")}</title>'
        f'<desc id="kc-{digest}-d">{escape(desc)}</desc><style>{_STYLE}</style>{"".join(out)}</svg>'
    )
    rows = [f"{name}: " + ", ".join(f"{x:.1f} s {v:g}" for x, v in pts) for name, pts in series.items()]
    rows += [f"{label}: {s:.1f} s to {e:.1f} s" for s, e, label in shaded]
    return Picture(title, svg, "\n".join(rows))
