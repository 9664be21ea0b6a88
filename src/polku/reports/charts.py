"""Charts as inline SVG, drawn with matplotlib's Agg canvas and no pyplot state.

Why SVG text inside the HTML: the report must open on a machine without network access
and stay sharp when printed. Only values that passed disclosure control are drawn; a
hidden value leaves its bar out and the caption says so.
"""

from __future__ import annotations

import io
import re
from typing import Sequence

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

COLOUR = "#2f6f8f"
_SVG_START = re.compile(r"^.*?(?=<svg)", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(:xlink)?="[^"]*"')
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def _svg_text(figure: Figure, chart_id: str) -> str:
    """The figure as an `<svg>` element without XML prologue, doctype or metadata."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": chart_id}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = _METADATA.sub("", _SVG_START.sub("", buffer.getvalue(), count=1))
    text = _NAMESPACES.sub("", text)  # inline SVG in HTML needs no namespace declarations
    for prefix in ('id="', 'url(#', 'href="#'):  # ids unique across the charts of one page
        text = text.replace(prefix, f"{prefix}{chart_id}-")
    return text.replace("<svg ", f'<svg role="img" aria-labelledby="{chart_id}-title" ', 1)


def bar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[int | float | None],
    *,
    value_label: str,
    category_label: str,
    horizontal: bool = False,
) -> str | None:
    """A bar chart of the shown (not None) values, or None when nothing may be drawn."""
    pairs = [(label, v) for label, v in zip(labels, values) if v is not None]
    if not pairs:
        return None
    names, heights = [p[0] for p in pairs], [p[1] for p in pairs]
    figure = Figure(figsize=(7.0, max(2.6, 0.38 * len(pairs) + 1.2) if horizontal else 3.4))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if horizontal:
        axes.barh(names[::-1], heights[::-1], color=COLOUR)
        axes.set_xlabel(value_label)
        axes.set_ylabel(category_label)
    else:
        axes.bar(names, heights, color=COLOUR)
        axes.set_ylabel(value_label)
        axes.set_xlabel(category_label)
        axes.tick_params(axis="x", labelrotation=30 if len(pairs) > 6 else 0)
    axes.set_title(title, loc="left", fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    svg = _svg_text(figure, chart_id)
    return svg.replace(">", f'><title id="{chart_id}-title">{_escape(title)}</title>', 1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def forest_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    estimates: Sequence[float],
    intervals: Sequence[tuple[float, float]],
    naive: Sequence[float | None],
    *,
    value_label: str,
    estimate_label: str,
    naive_label: str,
) -> str | None:
    """Effects with their 95 % intervals (dots and bars) and the naive differences (open
    marks) on one axis around zero, so a reader sees both the effect and how far a plain
    comparison would have been off."""
    if not labels:
        return None
    figure = Figure(figsize=(7.0, max(2.4, 0.45 * len(labels) + 1.3)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    rows = list(range(len(labels)))[::-1]
    for row, value, (low, high) in zip(rows, estimates, intervals):
        axes.plot([low, high], [row, row], color=COLOUR, linewidth=2)
    axes.plot(estimates, rows, "o", color=COLOUR, label=estimate_label)
    shown = [(row, v) for row, v in zip(rows, naive) if v is not None]
    if shown:
        axes.plot([v for _, v in shown], [r for r, _ in shown], "D", markerfacecolor="none", color="#b3541e", label=naive_label)
    axes.axvline(0, color="#777777", linewidth=0.8)
    axes.set_yticks(rows, labels)
    axes.set_xlabel(value_label)
    axes.set_title(title, loc="left", fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="lower right", fontsize=8, frameon=False)
    figure.tight_layout()
    svg = _svg_text(figure, chart_id)
    return svg.replace(">", f'><title id="{chart_id}-title">{_escape(title)}</title>', 1)
