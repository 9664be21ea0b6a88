"""Charts as inline SVG, drawn with matplotlib's Agg canvas and no pyplot state.

Why SVG text inside the HTML: the report must open on a machine without network access
and stay sharp when printed. Only values that passed disclosure control are drawn; a
hidden value leaves its bar out and the caption says so.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence

import matplotlib
import numpy as np

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

COLOUR = "#2f6f8f"
SECOND = "#b3541e"  # the comparison group, naive differences: orange against the blue
MUTED = "#8c99a3"
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
    for prefix in ('id="', "url(#", 'href="#'):  # ids unique across the charts of one page
        text = text.replace(prefix, f"{prefix}{chart_id}-")
    return text.replace("<svg ", f'<svg role="img" aria-labelledby="{chart_id}-title" ', 1)


def _finished(figure: Figure, chart_id: str, title: str) -> str:
    """The laid-out figure as SVG with its accessible title."""
    figure.tight_layout()
    return _titled(figure, chart_id, title)


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
    return _finished(figure, chart_id, title)


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
    for row, _value, (low, high) in zip(rows, estimates, intervals):
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
    return _finished(figure, chart_id, title)


def tornado_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    at_low: Sequence[float],
    at_high: Sequence[float],
    centre: float,
    *,
    value_label: str,
    low_label: str,
    high_label: str,
) -> str | None:
    """A tornado: for each input, a bar from the result at its low value to the result at
    its high value, around the point result (widest first, as given); the axis in
    thousands."""
    if not labels:
        return None
    figure = Figure(figsize=(7.0, max(2.2, 0.5 * len(labels) + 1.2)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    rows = list(range(len(labels)))[::-1]
    axes.barh(rows, [low - centre for low in at_low], left=centre, color=SECOND, label=low_label)
    axes.barh(rows, [high - centre for high in at_high], left=centre, color=COLOUR, label=high_label)
    axes.axvline(centre, color="#333333", linewidth=0.8)
    axes.axvline(0, color="#777777", linewidth=0.8, linestyle=":")
    axes.set_yticks(rows, [textwrap.fill(label, 34) for label in labels])
    axes.set_xlabel(value_label)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v / 1000:,.0f}"))  # thousands: labels stay apart
    axes.xaxis.set_major_locator(MaxNLocator(6))
    axes.set_title(title, loc="left", fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="lower right", fontsize=8, frameon=False)
    return _finished(figure, chart_id, title)


# --- small multiples: one panel per service ---------------------------------------------


def _titled(figure: Figure, chart_id: str, title: str) -> str:
    svg = _svg_text(figure, chart_id)
    return svg.replace(">", f'><title id="{chart_id}-title">{_escape(title)}</title>', 1)


def _panels(
    n: int, ncols: int, width: float, row_height: float, *, sharey: bool = False, top: float = 0.35
) -> tuple[Figure, list]:
    """A figure with `n` panels in rows of `ncols` (unused cells removed), its title space on top."""
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    figure = Figure(figsize=(width, nrows * row_height + top))
    FigureCanvasAgg(figure)
    grid = figure.subplots(nrows, ncols, sharey=sharey, squeeze=False)
    axes = [ax for row in grid for ax in row]
    for ax in axes[n:]:
        ax.remove()
    for ax in axes[:n]:
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=8)
    return figure, axes[:n]


def _heading(figure: Figure, title: str, legend: list | None = None, ncol: int = 3) -> None:
    figure.suptitle(title, x=0.01, y=0.995, ha="left", va="top", fontsize=11)
    if legend:
        figure.legend(handles=legend, loc="upper right", bbox_to_anchor=(0.995, 1.0), ncol=ncol, fontsize=8, frameon=False)


def _layout(figure: Figure) -> None:
    """Tight panels below the title (tight_layout leaves room for a suptitle; the legend
    shares its line)."""
    figure.tight_layout()


def love_plot(
    chart_id: str,
    title: str,
    covariates: Sequence[str],
    panels: Sequence[tuple[str, Sequence[float | None], Sequence[float | None]]],
    *,
    before_label: str,
    after_label: str,
    axis_label: str,
    threshold: float = 0.1,
) -> str | None:
    """Absolute standardised mean differences per covariate before (open) and after (filled)
    weighting, one panel per (name, before, after), covariates shared down the rows."""
    if not panels or not covariates:
        return None
    rows = np.arange(len(covariates))[::-1]
    figure, axes = _panels(len(panels), 6, 9.8, 0.16 * len(covariates) + 1.1, sharey=True)
    for ax, (name, before, after) in zip(axes, panels):
        for values, style in (
            (before, {"marker": "o", "markerfacecolor": "none", "color": MUTED}),
            (after, {"marker": "o", "color": COLOUR}),
        ):
            shown = [(r, abs(v)) for r, v in zip(rows, values) if v is not None and np.isfinite(v)]
            ax.plot([v for _, v in shown], [r for r, _ in shown], linestyle="none", markersize=3.5, **style)
        largest = max([abs(v) for v in (*before, *after) if v is not None and np.isfinite(v)], default=0.0)
        ax.set_xlim(0, max(0.3, 1.08 * largest))
        ax.axvline(threshold, color=SECOND, linewidth=0.8, linestyle="--")
        ax.set_title(textwrap.fill(name, 18), fontsize=8, loc="left")
        ax.set_xlabel(axis_label, fontsize=8)
        ax.grid(axis="y", color="#e6eaee", linewidth=0.5)
    axes[0].set_yticks(rows, covariates, fontsize=7)
    axes[0].set_ylim(-0.7, len(covariates) - 0.3)
    legend = [
        Line2D([], [], marker="o", markerfacecolor="none", color=MUTED, linestyle="none", label=before_label),
        Line2D([], [], marker="o", color=COLOUR, linestyle="none", label=after_label),
        Line2D([], [], color=SECOND, linestyle="--", label=f"{threshold:g}"),
    ]
    _heading(figure, title, legend)
    _layout(figure)
    return _titled(figure, chart_id, title)


def overlap_plot(
    chart_id: str,
    title: str,
    bins: Sequence[float],
    panels: Sequence[tuple[str, Sequence[float | None], Sequence[float | None]]],
    *,
    treated_label: str,
    control_label: str,
    axis_label: str,
    share_label: str,
    trim: float | None = None,
) -> str | None:
    """Mirrored histograms of the propensity score: each group's share (%) per bin,
    participants above the axis and comparison people below; hidden bins (None) are not drawn."""
    if not panels:
        return None
    edges = np.asarray(bins, dtype=float)
    width, left = np.diff(edges), edges[:-1]
    figure, axes = _panels(len(panels), 3, 9.0, 2.1)
    for ax, (name, treated, control) in zip(axes, panels):
        for values, sign, colour in ((treated, 1, COLOUR), (control, -1, SECOND)):
            shown = [(i, v) for i, v in enumerate(values) if v is not None]
            keep = [i for i, _ in shown]
            ax.bar(left[keep], [sign * v for _, v in shown], width=width[keep], align="edge", color=colour, alpha=0.85)
        ax.axhline(0, color="#555555", linewidth=0.6)
        if trim is not None:
            ax.axvline(1 - trim, color="#555555", linewidth=0.6, linestyle=":")
        ax.set_xlim(edges[0], edges[-1])
        ax.set_title(name, fontsize=8.5, loc="left")
        ax.set_xlabel(axis_label, fontsize=8)
        ax.yaxis.set_major_formatter(_absolute)
    for ax in axes[:: min(3, len(axes))]:
        ax.set_ylabel(share_label, fontsize=8)
    _heading(figure, title, [Patch(color=COLOUR, label=treated_label), Patch(color=SECOND, label=control_label)], ncol=2)
    _layout(figure)
    return _titled(figure, chart_id, title)


def _absolute_format(value: float, _position: int) -> str:
    return f"{abs(value):g}"


_absolute = FuncFormatter(_absolute_format)

Series = tuple[str, Sequence[float], Sequence[float], Sequence[float], Sequence[float]]
"""(label, x, value, band low, band high) of one curve."""


def curve_panels(
    chart_id: str,
    title: str,
    panels: Sequence[tuple[str, Sequence[Series]]],
    *,
    x_label: str,
    y_label: str,
    x_max: float,
    x_ticks: Sequence[float] = (),
) -> str | None:
    """Curves with pointwise bands, one panel per (name, series); the first series solid in
    the main colour, the second dashed in the second colour. Empty series are skipped."""
    if not panels:
        return None
    styles = ({"color": COLOUR, "linestyle": "-"}, {"color": SECOND, "linestyle": "--"})
    figure, axes = _panels(len(panels), 3, 9.0, 2.2, sharey=True)
    labels: dict[str, dict] = {}
    for ax, (name, series) in zip(axes, panels):
        for (label, x, value, low, high), style in zip(series, styles):
            labels.setdefault(label, style)
            if len(x) < 2:
                continue
            ax.fill_between(x, low, high, color=style["color"], alpha=0.15, linewidth=0)
            ax.plot(x, value, linewidth=1.6, **style)
        ax.set_xlim(0, x_max)
        if x_ticks:
            ax.set_xticks(list(x_ticks))
        ax.set_ylim(0, 100)
        ax.grid(color="#e6eaee", linewidth=0.5)
        ax.set_title(name, fontsize=8.5, loc="left")
        ax.set_xlabel(x_label, fontsize=8)
    for ax in axes[:: min(3, len(axes))]:
        ax.set_ylabel(y_label, fontsize=8)
    _heading(figure, title, [Line2D([], [], linewidth=1.6, label=k, **v) for k, v in labels.items()], ncol=2)
    _layout(figure)
    return _titled(figure, chart_id, title)


def expected_panels(
    chart_id: str,
    title: str,
    panels: Sequence[
        tuple[str, Sequence[str], Sequence[float | None], Sequence[float | None], Sequence[tuple[float, float] | None]]
    ],
    *,
    observed_label: str,
    expected_label: str,
    axis_label: str,
) -> str | None:
    """Observed (dot) against expected without the service (bar, with the band in which the
    observed value would fall by chance) for each row of each panel; None is not drawn."""
    if not panels:
        return None
    figure, axes = _panels(len(panels), 3, 9.0, 0.32 * max(len(p[1]) for p in panels) + 0.9)
    for ax, (name, labels, observed, expected, bands) in zip(axes, panels):
        rows = np.arange(len(labels))[::-1]
        for row, e, band in zip(rows, expected, bands):
            if e is None:
                continue
            ax.barh(row, e, height=0.55, color="#c9d6df")
            if band is not None:
                ax.plot(band, [row, row], color="#555555", linewidth=1.2)
        shown = [(r, o) for r, o in zip(rows, observed) if o is not None]
        ax.plot([o for _, o in shown], [r for r, _ in shown], "o", color=COLOUR, markersize=5)
        ax.set_yticks(rows, labels, fontsize=8)
        ax.set_xlim(0, 100)
        ax.set_title(name, fontsize=8.5, loc="left")
        ax.set_xlabel(axis_label, fontsize=8)
    legend = [
        Line2D([], [], marker="o", color=COLOUR, linestyle="none", label=observed_label),
        Patch(color="#c9d6df", label=expected_label),
    ]
    _heading(figure, title, legend, ncol=2)
    _layout(figure)
    return _titled(figure, chart_id, title)


# --- providers: funnel plots (polku.providers) ------------------------------------------


FunnelPanel = tuple[str, float, Sequence[float], Sequence[tuple[float, float, float, float]], Sequence[tuple[float, float, str]]]
"""(panel title, target, volumes of the limit lines, limits (lower 95, upper 95, lower 99.8,
upper 99.8) at each volume, points (volume, value, label))."""


def funnel_panels(
    chart_id: str,
    title: str,
    panels: Sequence[FunnelPanel],
    *,
    volume_label: str,
    value_label: str,
    limit_labels: tuple[str, str],
) -> str | None:
    """One funnel per panel: the target line, the 95 % (dashed) and 99.8 % (solid) limits
    against volume, and each shown unit as a labelled dot (Spiegelhalter 2005)."""
    if not panels:
        return None
    figure, axes = _panels(len(panels), 2, 9.0, 3.2)
    for ax, (name, target, volumes, limits, points) in zip(axes, panels):
        lines = np.asarray(limits, dtype=float)
        ax.axhline(target, color="#777777", linewidth=0.8)
        for col, style in ((0, "--"), (1, "--"), (2, "-"), (3, "-")):
            ax.plot(volumes, lines[:, col], style, color=MUTED, linewidth=1)
        for volume, value, label in points:
            ax.plot(volume, value, "o", color=COLOUR, markersize=5)
            ax.annotate(label, (volume, value), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_title(name, fontsize=8.5, loc="left")
        ax.set_xlabel(volume_label, fontsize=8)
        ax.set_ylabel(value_label, fontsize=8)
    legend = [
        Line2D([], [], color=MUTED, linestyle="--", label=limit_labels[0]),
        Line2D([], [], color=MUTED, label=limit_labels[1]),
    ]
    _heading(figure, title, legend, ncol=2)
    _layout(figure)
    return _titled(figure, chart_id, title)
