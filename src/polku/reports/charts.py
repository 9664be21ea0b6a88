"""The report's charts as inline SVG, drawn from a run's shown (gated) values.

Why SVG text inside the HTML: the report must open on a machine without network access
and stay sharp when printed. Only values that passed disclosure control are drawn; a
hidden value leaves its bar or mark out and the caption says so. The drawing is plain SVG
(`polku.reports.svg`), fast enough for the web to draw the same charts per request.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

from polku.reports.svg import (
    AXIS,
    LABEL_SIZE,
    TICK_SIZE,
    Canvas,
    Key,
    Plot,
    covering,
    grid_lines,
    heading,
    nice_ticks,
    padded,
    panel_grid,
    row_labels,
    text_width,
    x_axis,
    y_axis,
)

COLOUR = "#2f6f8f"
SECOND = "#b3541e"  # the comparison group, naive differences: orange against the blue
MUTED = "#8c99a3"
EXPECTED = "#c9d6df"
WIDTH = 700.0
PANELS_WIDTH = 900.0


def _label_margin(labels: Sequence[str], size: float = TICK_SIZE, cap: float = 260) -> float:
    return min(cap, max((text_width(label, size) for label in labels), default=0) + 16)


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


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
    pairs = [(label, float(v)) for label, v in zip(labels, values) if v is not None]
    if not pairs:
        return None
    names, heights = [p[0] for p in pairs], [p[1] for p in pairs]
    ticks = covering(nice_ticks(min(0.0, *heights), max(0.0, *heights)), max(heights))
    span = (min(ticks[0], 0.0, *heights), ticks[-1])
    if horizontal:
        return _horizontal_bars(chart_id, title, names, heights, ticks, span, value_label, category_label)
    canvas = Canvas(chart_id, title, WIDTH, 340)
    turned = len(pairs) > 6
    plot = Plot(78, 46, WIDTH - 96, 340 - 46 - (96 if turned else 62), y_range=span)
    band = plot.width / len(pairs)
    for index, (name, height) in enumerate(pairs):
        x = plot.left + index * band
        canvas.rect(x + 0.1 * band, plot.y(0), 0.8 * band, plot.y(height) - plot.y(0), COLOUR)
        if turned:
            canvas.text(x + band / 2 + 4, plot.bottom + 10, name, anchor="end", rotate=-30)
        else:
            canvas.text(x + band / 2, plot.bottom + 13, name, anchor="middle")
    canvas.line(plot.left, plot.y(0), plot.left + plot.width, plot.y(0))
    y_axis(canvas, plot, ticks, value_label)
    canvas.text(plot.left + plot.width / 2, canvas.height - 12, category_label, LABEL_SIZE, anchor="middle")
    heading(canvas)
    return canvas.render()


def _horizontal_bars(
    chart_id: str,
    title: str,
    names: list[str],
    widths: list[float],
    ticks: list[float],
    span: tuple[float, float],
    value_label: str,
    category_label: str,
) -> str:
    height = max(260.0, 38 * len(names) + 130)
    canvas = Canvas(chart_id, title, WIDTH, height)
    left = _label_margin(names) + 30
    plot = Plot(left, 46, WIDTH - left - 24, height - 46 - 50, x_range=span)
    for index, width in enumerate(widths):
        y = plot.row(index, len(names))
        band = plot.height / len(names)
        canvas.rect(plot.x(0), y - 0.4 * band, plot.x(width) - plot.x(0), 0.8 * band, COLOUR)
    row_labels(canvas, plot, names)
    x_axis(canvas, plot, ticks, value_label)
    canvas.text(14, plot.top + plot.height / 2, category_label, LABEL_SIZE, anchor="middle", rotate=-90)
    heading(canvas)
    return canvas.render()


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
    height = max(240.0, 45 * len(labels) + 120)
    canvas = Canvas(chart_id, title, WIDTH, height)
    left = _label_margin(labels) + 8
    ends = [v for pair in intervals for v in pair]
    plot = Plot(left, 50, WIDTH - left - 24, height - 50 - 50)
    plot.x_range = padded([*estimates, *ends, *_finite(naive)], include=[0.0])
    ticks = [t for t in nice_ticks(*plot.x_range) if plot.x_range[0] <= t <= plot.x_range[1]]
    canvas.line(plot.x(0), plot.top, plot.x(0), plot.bottom, "#777777", 0.8)
    for index, (value, (low, high), plain) in enumerate(zip(estimates, intervals, naive)):
        y = plot.row(index, len(labels))
        canvas.line(plot.x(low), y, plot.x(high), y, COLOUR, 2)
        canvas.dot(plot.x(value), y, COLOUR)
        if plain is not None:
            canvas.diamond(plot.x(plain), y, SECOND)
    row_labels(canvas, plot, labels)
    x_axis(canvas, plot, ticks, value_label)
    keys = [Key("dot", COLOUR, estimate_label)] + ([Key("diamond", SECOND, naive_label)] if _finite(naive) else [])
    heading(canvas, keys)
    return canvas.render()


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
    wrapped = [textwrap.fill(label, 34) for label in labels]
    height = max(220.0, 50 * len(labels) + 120)
    canvas = Canvas(chart_id, title, WIDTH, height)
    left = _label_margin(wrapped) + 8
    plot = Plot(left, 50, WIDTH - left - 24, height - 50 - 50)
    plot.x_range = padded([*at_low, *at_high], include=[centre, 0.0])
    band = plot.height / len(labels)
    for index, (low, high) in enumerate(zip(at_low, at_high)):
        y = plot.row(index, len(labels))
        canvas.rect(plot.x(centre), y - 0.4 * band, plot.x(low) - plot.x(centre), 0.8 * band, SECOND)
        canvas.rect(plot.x(centre), y - 0.4 * band, plot.x(high) - plot.x(centre), 0.8 * band, COLOUR)
    canvas.line(plot.x(centre), plot.top, plot.x(centre), plot.bottom, "#333333", 0.8)
    canvas.line(plot.x(0), plot.top, plot.x(0), plot.bottom, "#777777", 0.8, "2,3")
    row_labels(canvas, plot, wrapped)
    ticks = [t for t in nice_ticks(*plot.x_range, count=6) if plot.x_range[0] <= t <= plot.x_range[1]]
    x_axis(canvas, plot, ticks, value_label, fmt=lambda v: f"{v / 1000:,.0f}".replace("-", "\u2212"))
    heading(canvas, [Key("patch", SECOND, low_label), Key("patch", COLOUR, high_label)])
    return canvas.render()


# --- small multiples: one panel per service ---------------------------------------------


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
    weighting, one panel per (name, before, after), covariates shared along each row of panels."""
    if not panels or not covariates:
        return None
    columns = min(6, len(panels))
    labels_width = _label_margin(covariates, 10)
    names = [textwrap.fill(name, 18) for name, _, _ in panels]
    top_lines = max(name.count("\n") + 1 for name in names)
    width = (980.0 - 24 - labels_width) / columns
    height = 16 * len(covariates) + 56 + 13 * top_lines
    corners, total = panel_grid(len(panels), columns, width, height)
    canvas = Canvas(chart_id, title, 980.0, total)
    for index, ((_, y), name, (_, before, after)) in enumerate(zip(corners, names, panels)):
        left = 8 + labels_width + (index % columns) * width + 8
        plot = Plot(left, y + 13 * top_lines + 8, width - 18, 16 * len(covariates))
        largest = max([abs(v) for v in _finite([*before, *after])], default=0.0)
        plot.x_range = (0.0, max(0.3, 1.08 * largest))
        plot.y_range = (-0.7, len(covariates) - 0.3)
        grid_lines(canvas, plot, ys=range(len(covariates)))
        canvas.line(plot.x(threshold), plot.top, plot.x(threshold), plot.bottom, SECOND, 0.8, "5,3")
        for values, hollow, colour in ((before, True, MUTED), (after, False, COLOUR)):
            for row, value in enumerate(values):
                if value is not None and math.isfinite(value):
                    canvas.dot(plot.x(abs(value)), plot.y(len(covariates) - 1 - row), colour, 3.2, hollow)
        if index % columns == 0:
            for row, covariate in enumerate(covariates):
                canvas.text(plot.left - 7, plot.y(len(covariates) - 1 - row), covariate, 10, anchor="end")
        canvas.line(plot.left, plot.top, plot.left, plot.bottom)
        canvas.text(plot.left, y + 6 + 6.5 * top_lines, name, LABEL_SIZE - 1)
        x_axis(canvas, plot, [t for t in nice_ticks(*plot.x_range, count=3) if t <= plot.x_range[1]], axis_label)
    heading(canvas, [Key("hollow", MUTED, before_label), Key("dot", COLOUR, after_label), Key("dash", SECOND, f"{threshold:g}")])
    return canvas.render()


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
    edges = [float(b) for b in bins]
    corners, total = panel_grid(len(panels), 3, (PANELS_WIDTH - 16) / min(3, len(panels)), 210)
    canvas = Canvas(chart_id, title, PANELS_WIDTH, total)
    for (x, y), (name, treated, control) in zip(corners, panels):
        plot = Plot(x + 64, y + 24, (PANELS_WIDTH - 16) / min(3, len(panels)) - 84, 210 - 24 - 46)
        plot.x_range = (edges[0], edges[-1])
        plot.y_range = padded([-v for v in _finite(control)] + _finite(treated), include=[0.0])
        for values, sign, colour in ((treated, 1, COLOUR), (control, -1, SECOND)):
            for left, right, value in zip(edges, edges[1:], values):
                if value is not None:
                    canvas.rect(
                        plot.x(left),
                        plot.y(0),
                        plot.x(right) - plot.x(left),
                        plot.y(sign * value) - plot.y(0),
                        colour,
                        opacity=0.85,
                    )
        canvas.line(plot.left, plot.y(0), plot.left + plot.width, plot.y(0), AXIS, 0.6)
        if trim is not None:
            canvas.line(plot.x(1 - trim), plot.top, plot.x(1 - trim), plot.bottom, AXIS, 0.6, "2,3")
        ticks = [t for t in nice_ticks(*plot.y_range, count=4) if plot.y_range[0] <= t <= plot.y_range[1]]
        y_axis(canvas, plot, ticks, share_label if x < 20 else "", fmt=lambda v: f"{abs(v):g}")
        canvas.text(plot.left, y + 10, name, LABEL_SIZE - 1)
        x_axis(canvas, plot, nice_ticks(edges[0], edges[-1], count=4), axis_label)
    heading(canvas, [Key("patch", COLOUR, treated_label), Key("patch", SECOND, control_label)])
    return canvas.render()


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
    styles = ((COLOUR, "line"), (SECOND, "dash"))
    width = (PANELS_WIDTH - 16) / min(3, len(panels))
    corners, total = panel_grid(len(panels), 3, width, 220)
    canvas = Canvas(chart_id, title, PANELS_WIDTH, total)
    keys: dict[str, Key] = {}
    for (x, y), (name, series) in zip(corners, panels):
        plot = Plot(x + 56, y + 24, width - 76, 220 - 24 - 46, x_range=(0.0, x_max), y_range=(0.0, 100.0))
        grid_lines(canvas, plot, xs=list(x_ticks) or nice_ticks(0, x_max, 4), ys=(25, 50, 75, 100))
        for (label, xs, values, low, high), (colour, kind) in zip(series, styles):
            keys.setdefault(label, Key(kind, colour, label))
            if len(xs) < 2:
                continue
            upper = [(plot.x(a), plot.y(b)) for a, b in zip(xs, high)]
            lower = [(plot.x(a), plot.y(b)) for a, b in zip(xs, low)]
            canvas.area(upper + lower[::-1], colour, 0.15)
            canvas.path([(plot.x(a), plot.y(b)) for a, b in zip(xs, values)], colour, 1.6, "6,3" if kind == "dash" else "")
        y_axis(canvas, plot, [0, 25, 50, 75, 100], y_label if x < 20 else "")
        canvas.text(plot.left, y + 10, name, LABEL_SIZE - 1)
        x_axis(canvas, plot, list(x_ticks) or nice_ticks(0, x_max, 4), x_label)
    heading(canvas, list(keys.values()))
    return canvas.render()


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
    rows = max(len(p[1]) for p in panels)
    width = (PANELS_WIDTH - 16) / min(3, len(panels))
    height = 30 * rows + 84
    corners, total = panel_grid(len(panels), 3, width, height)
    canvas = Canvas(chart_id, title, PANELS_WIDTH, total)
    for (x, y), (name, labels, observed, expected, bands) in zip(corners, panels):
        margin = _label_margin(labels, TICK_SIZE, 120)
        plot = Plot(x + margin + 4, y + 24, width - margin - 24, height - 24 - 50, x_range=(0.0, 100.0))
        band = plot.height / max(len(labels), 1)
        for index, (value, middle, chance) in enumerate(zip(observed, expected, bands)):
            row = plot.row(index, len(labels))
            if middle is not None:
                canvas.rect(plot.x(0), row - 0.275 * band, plot.x(middle) - plot.x(0), 0.55 * band, EXPECTED)
                if chance is not None:
                    canvas.line(plot.x(chance[0]), row, plot.x(chance[1]), row, AXIS, 1.2)
            if value is not None:
                canvas.dot(plot.x(value), row, COLOUR)
        row_labels(canvas, plot, labels)
        canvas.text(plot.left, y + 10, name, LABEL_SIZE - 1)
        x_axis(canvas, plot, [0, 25, 50, 75, 100], axis_label)
    heading(canvas, [Key("dot", COLOUR, observed_label), Key("patch", EXPECTED, expected_label)])
    return canvas.render()


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
    width = (PANELS_WIDTH - 16) / min(2, len(panels))
    corners, total = panel_grid(len(panels), 2, width, 300)
    canvas = Canvas(chart_id, title, PANELS_WIDTH, total)
    for (x, y), panel in zip(corners, panels):
        _funnel(canvas, Plot(x + 64, y + 24, width - 84, 300 - 24 - 50), panel, volume_label, value_label, x < 20)
    heading(canvas, [Key("dash", MUTED, limit_labels[0]), Key("line", MUTED, limit_labels[1])])
    return canvas.render()


def _funnel(canvas: Canvas, plot: Plot, panel: FunnelPanel, volume_label: str, value_label: str, first: bool) -> None:
    name, target, volumes, limits, points = panel
    finite = [v for row in limits for v in row if math.isfinite(v)]
    plot.x_range = (0.0, max([*volumes, *(p[0] for p in points)], default=1.0) * 1.04)
    plot.y_range = padded([*finite, *(p[1] for p in points)], include=[target])
    canvas.line(plot.left, plot.y(target), plot.left + plot.width, plot.y(target), "#777777", 0.8)
    for column, dash in ((0, "5,3"), (1, "5,3"), (2, ""), (3, "")):
        line = [(plot.x(v), plot.y(min(max(r[column], plot.y_range[0]), plot.y_range[1]))) for v, r in zip(volumes, limits)]
        canvas.path([pt for pt in line if math.isfinite(pt[1])], MUTED, 1.0, dash)
    for volume, value, label in points:
        canvas.dot(plot.x(volume), plot.y(value), COLOUR)
        canvas.text(plot.x(volume) + 6, plot.y(value) - 8, label, 9)
    canvas.text(plot.left, plot.top - 14, name, LABEL_SIZE - 1)
    y_ticks = [t for t in nice_ticks(*plot.y_range, count=4) if plot.y_range[0] <= t <= plot.y_range[1]]
    y_axis(canvas, plot, y_ticks, value_label if first else "")
    x_axis(canvas, plot, [t for t in nice_ticks(*plot.x_range, count=4) if t <= plot.x_range[1]], volume_label)
