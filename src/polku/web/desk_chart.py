"""Charts of a client's measurements, drawn on the server as SVG (no script, no inline style).

The CSP (`polku.web.security`) allows no inline script or style, so a chart is plain SVG
markup with presentation attributes and classes styled by the package's stylesheet. One
chart per item: the item's whole scale on the vertical axis (so a change looks as large as
it is on the instrument), dates on the horizontal axis, a point per measurement with its
date and value in a `<title>` (the browser shows it on hover, a screen reader reads it) and
in `data-` attributes (which tests read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup, escape

WIDTH, HEIGHT = 320, 120
LEFT, RIGHT, TOP, BOTTOM = 30, 10, 10, 22


def _x(days: Sequence[dt.date]) -> Callable[[dt.date], float]:
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    inner = WIDTH - LEFT - RIGHT
    if first == last:
        return lambda day: LEFT + inner / 2
    return lambda day: LEFT + inner * (day - first).days / span


def _y(low: float, high: float) -> Callable[[float], float]:
    inner = HEIGHT - TOP - BOTTOM
    return lambda value: TOP + inner * (high - value) / (high - low)


def item_chart(
    title: str, points: Sequence[tuple[dt.date, float]], scale: tuple[float, float], fmt: Callable[[Any], str]
) -> Markup:
    """One item's measurements as an SVG line chart; `fmt` writes dates and values in the user's locale."""
    low, high = scale
    x, y = _x([d for d, _ in points]), _y(low, high)
    path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
    parts = [
        f'<svg class="measure-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{LEFT}" y1="{y(low):.1f}" x2="{WIDTH - RIGHT}" y2="{y(low):.1f}" stroke="#888"/>',
        f'<line class="axis" x1="{LEFT}" y1="{y(high):.1f}" x2="{LEFT}" y2="{y(low):.1f}" stroke="#888"/>',
        f'<text x="{LEFT - 4}" y="{y(high) + 4:.1f}" text-anchor="end" font-size="10">{escape(fmt(high))}</text>',
        f'<text x="{LEFT - 4}" y="{y(low):.1f}" text-anchor="end" font-size="10">{escape(fmt(low))}</text>',
        f'<polyline points="{path}" fill="none" stroke="#1f5f8b" stroke-width="2"/>',
    ]
    for day, value in points:
        label = f"{fmt(day)}: {fmt(value)}"
        parts.append(
            f'<circle class="point" cx="{x(day):.1f}" cy="{y(value):.1f}" r="3.5" fill="#1f5f8b" '
            f'data-date="{day.isoformat()}" data-value="{value:g}"><title>{escape(label)}</title></circle>'
        )
    first, last = points[0][0], points[-1][0]
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="10">{escape(fmt(first))}</text>')
    if last != first:
        parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end" font-size="10">{escape(fmt(last))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def series(measurements: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Item -> its points (date, value) oldest first and its scale, from the timeline's rows."""
    found: dict[str, dict[str, Any]] = {}
    for row in measurements:
        entry = found.setdefault(row["item"], {"points": [], "scale": (float(row["scale_min"]), float(row["scale_max"]))})
        entry["points"].append((row["measured_on"], float(row["value"])))
    for entry in found.values():
        entry["points"].sort()
    return found
