"""A small SVG canvas for the report's and the web's charts: axes, ticks, marks and legends.

Why not matplotlib: a report or a web page draws a dozen charts from a stored run, and
matplotlib spent about two seconds of CPU on them (text layout, font loading) plus half a
second to import, which broke the five-second report and the web's 300 ms pages. The charts
here are simple (bars, dots, intervals, curves, bands), so plain SVG with presentation
attributes does: it is fast, deterministic, has no `style` attributes (the web's content
security policy forbids inline styles) and its text stays text, for search and print.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
INK = "#222222"
AXIS = "#555555"
GRID = "#e6eaee"
TICK_SIZE = 11
LABEL_SIZE = 12
TITLE_SIZE = 15
CHAR_WIDTH = 0.58
"""Average glyph width as a share of the font size, for laying out labels without a font."""


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def text_width(text: str, size: float) -> float:
    """The estimated width in pixels of the longest line of `text`."""
    return max((len(line) for line in text.split("\n")), default=0) * size * CHAR_WIDTH


def _n(value: float) -> str:
    """A coordinate with one decimal and no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: the step of 1, 2, 2.5 or 5 times a power of ten
    that gives the number of intervals nearest to `count`."""
    if not math.isfinite(low) or not math.isfinite(high):
        return []
    if high <= low:
        high = low + 1.0
    magnitude = 10 ** math.floor(math.log10((high - low) / count))
    steps = [m * magnitude for m in (1, 2, 2.5, 5, 10)]
    step = min(steps, key=lambda s: abs((high - low) / s - count))
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def covering(ticks: list[float], high: float) -> list[float]:
    """`ticks` with one more step when the last falls short of `high`, so a value axis ends on a tick."""
    if len(ticks) > 1 and ticks[-1] < high:
        return [*ticks, round(ticks[-1] + ticks[1] - ticks[0], 10)]
    return ticks


def tick_text(value: float, ticks: Sequence[float]) -> str:
    """A tick's label with as many decimals as the step needs; a true minus sign."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = next((d for d in range(7) if abs(round(step, d) - step) < 1e-9 * max(1.0, step)), 6)
    text = f"{value:.{decimals}f}"
    return text.replace("-", "\u2212") if value < 0 and float(text) != 0 else text.lstrip("-")


@dataclass
class Canvas:
    """The elements of one chart; `render` wraps them in an accessible `<svg>`."""

    chart_id: str
    title: str
    width: float
    height: float
    parts: list[str] = field(default_factory=list)

    def line(self, x1: float, y1: float, x2: float, y2: float, colour: str = AXIS, width: float = 1.0, dash: str = "") -> None:
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{colour}" stroke-width="{width:g}"{dashes}/>'
        )

    def rect(self, x: float, y: float, w: float, h: float, colour: str, kind: str = "bar", opacity: float = 1.0) -> None:
        """A filled rectangle; negative sizes are turned around."""
        x, w = (x + w, -w) if w < 0 else (x, w)
        y, h = (y + h, -h) if h < 0 else (y, h)
        alpha = f' fill-opacity="{opacity:g}"' if opacity < 1 else ""
        self.parts.append(
            f'<rect class="{kind}" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{colour}"{alpha}/>'
        )

    def dot(self, x: float, y: float, colour: str, radius: float = 4.0, hollow: bool = False) -> None:
        fill = f'fill="white" stroke="{colour}" stroke-width="1.3"' if hollow else f'fill="{colour}"'
        self.parts.append(f'<circle class="mark" cx="{_n(x)}" cy="{_n(y)}" r="{radius:g}" {fill}/>')

    def diamond(self, x: float, y: float, colour: str, radius: float = 5.0) -> None:
        points = f"{_n(x)},{_n(y - radius)} {_n(x + radius)},{_n(y)} {_n(x)},{_n(y + radius)} {_n(x - radius)},{_n(y)}"
        self.parts.append(f'<polygon class="mark" points="{points}" fill="white" stroke="{colour}" stroke-width="1.3"/>')

    def path(self, points: Sequence[tuple[float, float]], colour: str, width: float = 1.6, dash: str = "") -> None:
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="{width:g}"{dashes}/>')

    def area(self, points: Sequence[tuple[float, float]], colour: str, opacity: float) -> None:
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(f'<polygon class="band" points="{coords}" fill="{colour}" fill-opacity="{opacity:g}"/>')

    def text(self, x: float, y: float, text: str, size: float = TICK_SIZE, anchor: str = "start", rotate: float = 0) -> None:
        """Text whose lines (split at newlines) are centred vertically on `y`."""
        lines = text.split("\n")
        turn = f' transform="rotate({rotate:g} {_n(x)} {_n(y)})"' if rotate else ""
        first = y - (len(lines) - 1) * size * 0.6
        spans = "".join(
            f'<tspan x="{_n(x)}" y="{_n(first + i * size * 1.2)}">{escape(line)}</tspan>' for i, line in enumerate(lines)
        )
        self.parts.append(
            f'<text font-size="{size:g}" text-anchor="{anchor}" dominant-baseline="central" fill="{INK}"{turn}>{spans}</text>'
        )

    def render(self) -> str:
        head = (
            f'<svg role="img" aria-labelledby="{self.chart_id}-title" viewBox="0 0 {_n(self.width)} {_n(self.height)}" '
            f'width="{_n(self.width)}" height="{_n(self.height)}" font-family="{FONT}">'
            f'<title id="{self.chart_id}-title">{escape(self.title)}</title>'
        )
        return head + "".join(self.parts) + "</svg>"


@dataclass(frozen=True)
class Key:
    """One legend entry: how it is drawn (dot, hollow, diamond, line, dash, patch) and its label."""

    kind: str
    colour: str
    label: str


def heading(canvas: Canvas, keys: Sequence[Key] = ()) -> None:
    """The title on the top left and the legend on the top right of the chart."""
    canvas.text(8, 16, canvas.title, TITLE_SIZE)
    x = canvas.width - 8
    y = 38 if text_width(canvas.title, TITLE_SIZE) + _legend_width(keys) > canvas.width - 40 else 16
    for key in reversed(keys):
        x -= text_width(key.label, TICK_SIZE)
        canvas.text(x, y, key.label)
        x -= 22
        _swatch(canvas, key, x + 8, y)
        x -= 14


def _legend_width(keys: Sequence[Key]) -> float:
    return sum(text_width(k.label, TICK_SIZE) + 36 for k in keys)


def _swatch(canvas: Canvas, key: Key, x: float, y: float) -> None:
    if key.kind in ("dot", "hollow"):
        canvas.dot(x, y, key.colour, hollow=key.kind == "hollow")
    elif key.kind == "diamond":
        canvas.diamond(x, y, key.colour)
    elif key.kind == "patch":
        canvas.rect(x - 6, y - 5, 12, 10, key.colour, kind="key")
    else:
        canvas.line(x - 9, y, x + 9, y, key.colour, 1.6, "5,3" if key.kind == "dash" else "")


@dataclass
class Plot:
    """One plotting area in pixels and the data ranges it shows."""

    left: float
    top: float
    width: float
    height: float
    x_range: tuple[float, float] = (0.0, 1.0)
    y_range: tuple[float, float] = (0.0, 1.0)

    def x(self, value: float) -> float:
        low, high = self.x_range
        return self.left + (value - low) / ((high - low) or 1.0) * self.width

    def y(self, value: float) -> float:
        low, high = self.y_range
        return self.top + self.height - (value - low) / ((high - low) or 1.0) * self.height

    def row(self, index: int, rows: int) -> float:
        """The centre of row `index` (0 at the top) of `rows` categories."""
        return self.top + (index + 0.5) * self.height / max(rows, 1)

    @property
    def bottom(self) -> float:
        return self.top + self.height


def x_axis(canvas: Canvas, plot: Plot, ticks: Sequence[float], label: str, fmt: Callable[[float], str] | None = None) -> None:
    """The bottom spine with its ticks, their labels and the axis label below."""
    canvas.line(plot.left, plot.bottom, plot.left + plot.width, plot.bottom)
    for tick in ticks:
        x = plot.x(tick)
        canvas.line(x, plot.bottom, x, plot.bottom + 4)
        canvas.text(x, plot.bottom + 13, fmt(tick) if fmt else tick_text(tick, ticks), anchor="middle")
    if label:
        canvas.text(plot.left + plot.width / 2, plot.bottom + 31, label, LABEL_SIZE, anchor="middle")


def y_axis(
    canvas: Canvas, plot: Plot, ticks: Sequence[float], label: str = "", fmt: Callable[[float], str] | None = None
) -> None:
    """The left spine with value ticks and, when given, the axis label turned upright."""
    canvas.line(plot.left, plot.top, plot.left, plot.bottom)
    for tick in ticks:
        y = plot.y(tick)
        canvas.line(plot.left - 4, y, plot.left, y)
        canvas.text(plot.left - 7, y, fmt(tick) if fmt else tick_text(tick, ticks), anchor="end")
    if label:
        width = max((text_width(fmt(t) if fmt else tick_text(t, ticks), TICK_SIZE) for t in ticks), default=0)
        canvas.text(plot.left - width - 20, plot.top + plot.height / 2, label, LABEL_SIZE, anchor="middle", rotate=-90)


def row_labels(canvas: Canvas, plot: Plot, labels: Sequence[str], size: float = TICK_SIZE) -> None:
    """Category names to the left of their rows, with the left spine."""
    canvas.line(plot.left, plot.top, plot.left, plot.bottom)
    for index, label in enumerate(labels):
        canvas.text(plot.left - 7, plot.row(index, len(labels)), label, size, anchor="end")


def grid_lines(canvas: Canvas, plot: Plot, xs: Sequence[float] = (), ys: Sequence[float] = ()) -> None:
    for x in xs:
        canvas.line(plot.x(x), plot.top, plot.x(x), plot.bottom, GRID, 0.8)
    for y in ys:
        canvas.line(plot.left, plot.y(y), plot.left + plot.width, plot.y(y), GRID, 0.8)


def padded(values: Sequence[float], *, include: Sequence[float] = (), pad: float = 0.05) -> tuple[float, float]:
    """A data range around `values` and `include`, widened by `pad` of its span on both sides."""
    finite = [v for v in (*values, *include) if math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    low, high = min(finite), max(finite)
    span = (high - low) or abs(high) or 1.0
    return low - pad * span, high + pad * span


def panel_grid(count: int, columns: int, width: float, height: float, top: float = 46) -> tuple[list[tuple[float, float]], float]:
    """The top-left corners of `count` panels of `width` × `height` in rows of `columns`,
    below a heading of `top` pixels, and the chart's total height."""
    columns = max(1, min(columns, count))
    corners = [(8 + (i % columns) * width, top + (i // columns) * height) for i in range(count)]
    return corners, top + -(-count // columns) * height + 6
