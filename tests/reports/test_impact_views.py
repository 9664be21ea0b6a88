"""The impact section's views: disclosure control of curves, O-versus-E groups and
histograms, covariate labels, and the small-multiple charts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polku import sdc
from polku.impact.survival import CENSORED, OTHER_EXIT, WORK, cumulative_incidence
from polku.pipeline.views import ExpectedRow, GroupCurves, month_day
from polku.reports.charts import curve_panels, expected_panels, love_plot, overlap_plot
from polku.reports.context import ReportContext
from polku.reports.sections.impact_views import covariate_labeler, overlap_shares, protect_groups
from polku.sdc import curve_points
from polku.store import Store

T = 10


def ctx(lang: str = "en") -> ReportContext:
    return ReportContext(lang, T, datetime(2026, 1, 1, tzinfo=UTC), date(2025, 12, 31))


def group(duration: np.ndarray, event: np.ndarray) -> GroupCurves:
    return GroupCurves("g", cumulative_incidence(duration, event), None, duration, event, float(len(duration)))


def _check_points(g: GroupCurves, points: dict[int, tuple[float, float, float]]) -> None:
    """Every rule of `curve_points`, checked from the raw rows."""
    counted = 0
    for month in sorted(points):
        day = month_day(month)
        assert all(g.at_risk(month_day(m)) >= T for m in range(1, month + 1)), month
        events = int(((g.event == WORK) & (g.duration <= day)).sum())
        assert events - counted >= T, month
        counted = events
        assert points[month] == g.read(day)


def test_curve_points_keep_the_tables_months_and_at_least_t_jobs_between_points() -> None:
    # 400 people: 6 first jobs a month for 24 months (so single months never qualify),
    # 20 exits to education, the rest censored at 26 months
    rng = np.random.default_rng(1)
    jobs = np.repeat(np.arange(24) * 30.4 + 15, 6)
    duration = np.r_[jobs, rng.uniform(0, 700, 20), np.full(400 - len(jobs) - 20, 790.0)]
    event = np.r_[np.full(len(jobs), WORK), np.full(20, OTHER_EXIT), np.full(400 - len(jobs) - 20, CENSORED)]
    g = group(duration, event)
    points = curve_points(g, T)
    # 6m jobs by month m: the table's months first (18, 18, 36, 72 jobs apart), then every
    # second month where 12 jobs lie on both sides (none between 3 and 6: 6 + 6 < 10 + 10)
    assert sorted(points) == [3, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]
    _check_points(g, points)


def test_a_curve_ends_where_fewer_than_t_people_are_followed() -> None:
    duration = np.r_[np.full(30, 20.0), np.full(30, 50.0), np.full(9, 400.0), np.full(60, 100.0)]
    event = np.r_[np.full(30, WORK), np.full(30, WORK), np.full(9, CENSORED), np.full(60, CENSORED)]
    g = group(duration, event)
    points = curve_points(g, T)
    # 69 followed at month 3 (day 90), 9 from month 4 on: the curve stops at month 3; month 2
    # adds 30 jobs to month 1 but none lie between it and month 3, so it is left out
    assert sorted(points) == [1, 3]
    _check_points(g, points)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 760), st.sampled_from([WORK, WORK, OTHER_EXIT, CENSORED])), min_size=20, max_size=250))
def test_curve_points_never_show_a_step_of_fewer_than_t_people(rows: list[tuple[int, int]]) -> None:
    duration = np.array([float(d) for d, _ in rows])
    event = np.array([e for _, e in rows])
    g = group(duration, event)
    _check_points(g, curve_points(g, T))


def _determined(rows: list[ExpectedRow], shown: dict) -> list[int]:
    hidden = {i for i, r in enumerate(rows) if shown[r.client_group] is None}
    return sdc.determined(hidden, [sdc.Line((1, 2, 3), 0)])


def test_a_groups_hidden_employment_cannot_be_worked_out_from_the_total() -> None:
    rows = [
        ExpectedRow(None, 500, 200.0, 190.0, -5.0, 25.0),
        ExpectedRow("high", 40, 15.0, note="too few"),
        ExpectedRow("medium", 200, 90.0, 80.0, 0.0, 20.0),
        ExpectedRow("low", 260, 95.0, 96.0, -10.0, 8.0),
    ]
    sizes, observed, applied = protect_groups(rows, T)
    assert applied and sizes == {None: 500, "high": 40, "medium": 200, "low": 260}
    assert observed["high"] is None and sum(v is None for v in observed.values()) >= 2
    assert _determined(rows, observed) == []


def test_a_small_complement_hides_the_count_too() -> None:
    rows = [
        ExpectedRow(None, 300, 220.0, 200.0, 1.0, 39.0),
        ExpectedRow("high", 100, 95.0, 90.0, -1.0, 11.0),
        ExpectedRow("medium", 100, 60.0, 55.0, -5.0, 15.0),
        ExpectedRow("low", 100, 65.0, 55.0, 0.0, 20.0),
    ]
    _, observed, applied = protect_groups(rows, T)
    assert applied and observed["high"] is None  # 5 participants without work
    assert _determined(rows, observed) == []
    clean = [
        ExpectedRow(r.client_group, r.n, o, r.expected, r.ci_low, r.ci_high) for r, o in zip(rows, (200.0, 70.0, 65.0, 65.0))
    ]
    assert protect_groups(clean, T)[1] == {None: 200, "high": 70, "medium": 65, "low": 65}


def test_overlap_histogram_hides_small_bins_and_a_partner() -> None:
    counts = (0, 3, 50, 47, 0)
    shares, applied = overlap_shares(counts, T)
    assert applied and shares[0] == 0 and shares[1] is None and shares[2] == pytest.approx(50.0)
    assert sum(s is None for s in shares) == 2  # the 3 and its smallest partner (47)
    assert overlap_shares((0, 40, 60), T) == ([0.0, 40.0, 60.0], False)


def test_covariates_are_labelled_in_the_report_language() -> None:
    en, fi = covariate_labeler(ctx("en")), covariate_labeler(ctx("fi"))
    assert en("sex=male") == "Sex: male" and en("age") == "Age" and en("benefit=none") == "Benefit: none"
    assert fi("municipality_code=698") == "Kunta: Rovaniemi" and fi("education_level=tertiary") == "Koulutus: korkea-aste"
    assert en("something_new=x") == "something_new: x" and en("year=2024") == "Year: 2024"


# --- charts ------------------------------------------------------------------------------------


def _safe(svg: str | None, chart_id: str, title: str) -> str:
    assert svg is not None and svg.startswith("<svg ")
    assert "http" not in svg and "<?xml" not in svg
    assert f'<title id="{chart_id}-title">{title}</title>' in svg
    assert ' id="' not in svg.replace(f' id="{chart_id}-', "")
    return svg


def test_love_plot_draws_each_covariate_and_the_threshold() -> None:
    svg = _safe(
        love_plot(
            "c",
            "Balance",
            ["Age", "Sex: male"],
            [("Coaching", [0.5, None], [0.02, 0.01]), ("Training", [0.3, 0.2], [0.1, 0.05])],
            before_label="before",
            after_label="after",
            axis_label="|SMD|",
        ),
        "c",
        "Balance",
    )
    assert "Sex: male" in svg and "Coaching" in svg and "Training" in svg and "0.1" in svg
    assert love_plot("c", "t", [], [], before_label="b", after_label="a", axis_label="x") is None


def _bars(svg: str) -> int:
    return len(re.findall(r'<rect class="bar"', svg))


def test_overlap_plot_leaves_hidden_bins_out() -> None:
    bins = [0.0, 0.25, 0.5, 0.75, 1.0]
    full = _safe(
        overlap_plot(
            "c",
            "Overlap",
            bins,
            [("S", [10.0, 20.0, 30.0, 40.0], [40.0, 30.0, 20.0, 10.0])],
            treated_label="p",
            control_label="c",
            axis_label="x",
            share_label="%",
        ),
        "c",
        "Overlap",
    )
    hidden = overlap_plot(
        "c",
        "Overlap",
        bins,
        [("S", [10.0, None, 30.0, 40.0], [40.0, 30.0, 20.0, 10.0])],
        treated_label="p",
        control_label="c",
        axis_label="x",
        share_label="%",
    )
    assert _bars(full) == _bars(hidden) + 1


def test_curve_and_expected_panels() -> None:
    series = [
        ("Participants", [1, 3, 6], [10.0, 30.0, 45.0], [8.0, 27.0, 41.0], [12.0, 33.0, 49.0]),
        ("Comparison, weighted", [1, 3], [5.0, 20.0], [3.0, 15.0], [7.0, 25.0]),
    ]
    svg = _safe(
        curve_panels("c", "Time", [("Coaching", series)], x_label="Months", y_label="%", x_max=24, x_ticks=(0, 3, 6, 12, 24)),
        "c",
        "Time",
    )
    assert "Participants" in svg and "Comparison, weighted" in svg and "Months" in svg
    panel = ("Coaching", ["all", "high"], [57.0, None], [45.0, 61.0], [(42.0, 48.0), (55.0, 67.0)])
    drawn = _safe(expected_panels("c", "OE", [panel], observed_label="O", expected_label="E", axis_label="%"), "c", "OE")
    both = expected_panels(
        "c", "OE", [(*panel[:2], [57.0, 70.0], *panel[3:])], observed_label="O", expected_label="E", axis_label="%"
    )
    assert drawn.count('<circle class="mark"') + 1 == both.count('<circle class="mark"')  # the hidden O is not drawn


def test_a_store_without_estimates_gets_no_views(filled_store: Store) -> None:
    """30 participants: the effects table says 'too few', and no curve, check or O/E appears."""
    from polku.pipeline.settings import AnalysisContext
    from polku.reports import queries
    from polku.reports.blocks import Heading
    from polku.reports.sections.impact import compute_impact, impact_section

    names = {"services_names": queries.service_names(filled_store), "providers_list": queries.providers(filled_store)}
    blocks = impact_section(compute_impact(filled_store, AnalysisContext()) | names, ctx())
    assert not any(isinstance(b, Heading) for b in blocks)
    assert any(getattr(b, "id", None) == "impact-services" for b in blocks)


def test_a_hidden_group_size_hides_expected_and_leaves_the_chart() -> None:
    """Sizes 263 = 3 + 60 + 200 at threshold 10: high is hidden, so medium's size is hidden as
    its partner; showing medium's E beside E / n in the chart would give n (and high) back."""
    import pandas as pd

    from polku.pipeline.views import ServiceView
    from polku.reports.sections.impact_views import expected_blocks

    rows = [
        ExpectedRow(None, 263, 120.0, 100.0, 8.0, 32.0),
        ExpectedRow("high", 3, None, note="too few"),
        ExpectedRow("medium", 60, 30.0, 22.0, 1.0, 15.0),
        ExpectedRow("low", 200, 88.0, 76.0, 2.0, 22.0),
    ]
    sizes, _, _ = protect_groups(rows, T)
    assert sizes["high"] is None and sizes["medium"] is None and sizes["low"] == 200
    view = ServiceView("COACH", [], pd.DataFrame(), expected=rows)
    blocks = expected_blocks(ctx(), [view], lambda code: code)
    table = next(b for b in blocks if getattr(b, "id", "") == "impact-expected")
    medium = next(r for r in table.rows if r[1] == ctx().t("impact.group.medium"))
    assert medium[2] == sdc.MARKER and medium[4] == sdc.MARKER  # n and E
    chart = next(b for b in blocks if getattr(b, "id", "") == "impact-expected-chart")
    assert ctx().t("impact.group.medium") not in chart.svg and ctx().t("impact.group.low") in chart.svg
