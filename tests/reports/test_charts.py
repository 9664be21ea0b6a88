"""Charts: inline SVG without external references, drawing only values that may be shown."""

from __future__ import annotations

from polku.reports.charts import bar_chart


def test_hidden_values_are_not_drawn() -> None:
    svg = bar_chart(
        "c",
        "Clients by age",
        ["under 25", "25–34", "35–44"],
        [120, None, 40],
        value_label="Clients (persons)",
        category_label="Age group",
    )
    assert svg is not None and svg.startswith("<svg ")
    assert "under 25" in svg and "35–44" in svg and "25–34" not in svg
    assert "Clients (persons)" in svg and "Age group" in svg and '<title id="c-title">Clients by age</title>' in svg


def test_no_chart_when_everything_is_hidden() -> None:
    assert bar_chart("c", "t", ["a", "b"], [None, None], value_label="v", category_label="k") is None


def test_svg_is_inline_safe_and_ids_are_prefixed() -> None:
    svg = bar_chart("chart-x", "T", ["a"], [12], value_label="v", category_label="k", horizontal=True)
    assert svg is not None
    assert "http" not in svg and "<?xml" not in svg and "<!DOCTYPE" not in svg
    assert 'id="chart-x-' in svg and ' id="' not in svg.replace(' id="chart-x-', "")
