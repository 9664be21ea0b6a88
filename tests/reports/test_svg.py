"""The SVG canvas of the charts: round ticks, text that stays text, marks where the values are."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polku.reports.charts import bar_chart, forest_chart, tornado_chart
from polku.reports.svg import Plot, nice_ticks, tick_text


@pytest.mark.parametrize(
    ("low", "high", "count", "expected"),
    [
        (0, 100, 4, [0, 25, 50, 75, 100]),  # raw step 25 = 2.5 × 10
        (0, 1, 5, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),  # raw step 0.2
        (-3.2, 7.9, 5, [-2, 0, 2, 4, 6]),  # step 2 gives 5.55 intervals, 2.5 gives 4.44: 2 is nearer to 5
        (-15.2, 38.1, 5, [-10, 0, 10, 20, 30]),  # step 10 (5.3 intervals), not 20 (2.7)
    ],
)
def test_nice_ticks_known_answers(low: float, high: float, count: int, expected: list[float]) -> None:
    assert nice_ticks(low, high, count) == pytest.approx(expected)


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e6, 1e6), st.floats(1e-3, 1e6))
def test_ticks_lie_inside_the_range_and_are_evenly_spaced(low: float, span: float) -> None:
    ticks = nice_ticks(low, low + span)
    assert 2 <= len(ticks) <= 11
    assert all(low - 1e-6 * span <= t <= low + span * (1 + 1e-6) for t in ticks)
    steps = {round(b - a, 6) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1


def test_tick_labels_use_the_step_decimals_and_a_true_minus() -> None:
    ticks = [-0.5, 0.0, 0.5, 1.0]
    assert [tick_text(t, ticks) for t in ticks] == ["\u22120.5", "0.0", "0.5", "1.0"]
    assert tick_text(2000.0, [0.0, 1000.0, 2000.0]) == "2000"
    quarters = [0.0, 0.25, 0.5, 0.75, 1.0]
    assert [tick_text(t, quarters) for t in quarters] == ["0.00", "0.25", "0.50", "0.75", "1.00"]


def test_plot_maps_data_to_pixels() -> None:
    plot = Plot(100, 50, 400, 200, x_range=(0, 10), y_range=(0, 100))
    assert (plot.x(0), plot.x(5), plot.x(10)) == (100, 300, 500)
    assert (plot.y(0), plot.y(100)) == (250, 50)
    assert plot.row(0, 4) == 75 and plot.row(3, 4) == 225


def test_bar_heights_follow_the_values() -> None:
    svg = bar_chart("c", "T", ["a", "b"], [30, 60], value_label="v", category_label="k")
    assert svg is not None
    heights = [float(h) for h in re.findall(r'<rect class="bar" [^>]*height="([\d.]+)"', svg)]
    assert len(heights) == 2 and heights[1] == pytest.approx(2 * heights[0], abs=0.15)


def test_charts_carry_no_style_attribute_or_script() -> None:
    """The web's content security policy forbids inline styles and scripts."""
    charts = [
        bar_chart("a", "T", ["x", "y"], [1, 2], value_label="v", category_label="k", horizontal=True),
        forest_chart("b", "T", ["x"], [2.0], [(1.0, 3.0)], [4.0], value_label="v", estimate_label="e", naive_label="n"),
        tornado_chart("c", "T", ["x"], [-1000.0], [3000.0], 1000.0, value_label="v", low_label="l", high_label="h"),
    ]
    for svg in charts:
        assert svg is not None and "style=" not in svg and "<script" not in svg


def test_text_is_escaped() -> None:
    svg = bar_chart("c", "A & <B>", ["<x>"], [1], value_label="v", category_label="k")
    assert svg is not None and "A &amp; &lt;B&gt;" in svg and "&lt;x&gt;" in svg and "<x>" not in svg
