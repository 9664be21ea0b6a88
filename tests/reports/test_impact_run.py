"""The impact and cost-benefit sections on the run seam: computed once into tables, rendered
from the tables alone, with the same blocks as when rendered straight from the fit.

One synthetic area of 600 clients (job-search coaching gets an estimate on 65 of its 67
participants; the other services have too few participants), analysed once for the module."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from polku import sdc
from polku.cba.analysis import CostBenefit, Effect, MonteCarlo
from polku.cba.store import ServiceCostBenefit
from polku.identity import load_key
from polku.ingest import import_folder
from polku.pipeline.settings import AnalysisContext
from polku.reports import queries
from polku.reports.compute import ReportStore
from polku.reports.context import ReportContext
from polku.reports.sections import cost_benefit, impact
from polku.reports.sections.cba_tables import TABLES as CBA_TABLES
from polku.reports.sections.cba_tables import cba_tables, stored_cost_benefit
from polku.reports.sections.impact_tables import TABLES as IMPACT_TABLES
from polku.reports.sections.impact_tables import stored_views
from polku.reports.sections.services import provider_labeler, service_labeler
from polku.store import open_store
from polku.synth import generate

KEY = "5e" * 32


@dataclass
class Run:
    store: ReportStore
    analysis: AnalysisContext
    tables: dict[str, pd.DataFrame]
    names: dict[str, pd.DataFrame]
    """The services section's names tables, which the impact sections label with."""


def _round_trip(table: pd.DataFrame) -> pd.DataFrame:
    buffer = io.BytesIO()
    table.to_parquet(buffer)
    return pd.read_parquet(io.BytesIO(buffer.getvalue()))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    root = tmp_path_factory.mktemp("impact_run")
    mp = pytest.MonkeyPatch()
    mp.setenv("POLKU_PSEUDONYM_KEY", KEY)
    try:
        generate(clients=600, seed=3, out_dir=root / "synthetic")
        path: Path = root / "polku.duckdb"
        with open_store(path) as store:
            import_folder(store, root / "synthetic", key=load_key())
    finally:
        mp.undo()
    with open_store(path, read_only=True) as store:
        report_store = ReportStore(store.path, store.con)
        analysis = AnalysisContext()
        tables = {**impact.compute_impact(report_store, analysis), **cost_benefit.compute_cost_benefit(report_store, analysis)}
        names = {"services_names": queries.service_names(report_store), "providers_list": queries.providers(report_store)}
        yield Run(report_store, analysis, tables, names)


def ctx(lang: str = "en", threshold: int = 10) -> ReportContext:
    return ReportContext(lang, threshold, datetime(2026, 1, 1, tzinfo=UTC))


def test_every_table_is_named_and_typed_as_declared(run: Run) -> None:
    declared = IMPACT_TABLES | CBA_TABLES
    assert set(run.tables) == set(declared)
    for name, table in run.tables.items():
        assert list(table.columns) == list(declared[name]), name
        assert [str(t) for t in table.dtypes] == list(declared[name].values()), name
    effects = run.tables["impact_effects"]
    overall = effects[(effects["service_code"] == "COACH") & (effects["level"] == "service")].iloc[0]
    assert overall["client_group"] is None and overall["provider_id"] is None
    cba = run.tables["cba_results"].set_index("service_code").loc["COACH"]
    assert overall["participants"] == cba["participants_in_estimate"] == 65 and overall["n_trimmed"] == 3
    assert cba["participants"] == 67  # all followed participants: 2 more than in the estimate
    assert overall["lower"] < overall["estimate"] < overall["upper"]
    assert set(effects["service_code"]) == {"COACH", "IPS", "REHAB", "TRAIN", "WSUB", "WTRIAL"}


def test_tables_round_trip_through_parquet_unchanged(run: Run) -> None:
    for name, table in run.tables.items():
        pd.testing.assert_frame_equal(_round_trip(table), table, check_exact=True, obj=name)


@pytest.mark.parametrize(("lang", "threshold"), [("en", 10), ("fi", 3), ("sv", 20)])
def test_render_from_the_tables_gives_the_blocks_of_the_fit(run: Run, lang: str, threshold: int) -> None:
    """Blocks from the live views (what the section rendered before the run existed) equal
    the blocks from the tables after a Parquet round trip."""
    c = ctx(lang, threshold)
    stored = {name: _round_trip(table) for name, table in run.tables.items()} | run.names
    views = run.analysis.computed["impact_views"]
    service, provider = service_labeler(run.names, c), provider_labeler(run.names, c)
    assert impact.impact_section(stored, c) == impact.impact_blocks(c, views, service, provider)
    rows = [cost_benefit._analyse(run.store, view) for view in views]
    estimates = impact.released_rows(threshold, [row for view in views for row in view.rows])
    assert cost_benefit.cost_benefit_section(stored, c) == cost_benefit.cost_benefit_blocks(c, rows, estimates, views, service)
    assert stored_cost_benefit(stored) == rows


def test_stored_views_hold_what_the_fit_gave(run: Run) -> None:
    views = {v.service_code: v for v in run.analysis.computed["impact_views"]}
    for view in stored_views(run.tables):
        live = views[view.service_code]
        assert [r.to_dict() for r in view.rows] == [r.to_dict() for r in live.rows]
        assert view.checks == live.checks and view.expected == live.expected
        assert (view.survival is None) == (live.survival is None)
    coach = next(v for v in stored_views(run.tables) if v.service_code == "COACH")
    live_coach = views["COACH"]
    assert coach.survival is not None and live_coach.survival is not None
    assert sdc.release_survival(coach.survival, t=10) == sdc.release_survival(live_coach.survival, t=10)


def test_render_never_touches_the_store_or_fits(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("render fitted or read the store")

    for target in ("polku.pipeline.store_views.store_views", "polku.pipeline.by_service.service_estimates"):
        monkeypatch.setattr(target, refuse)
    monkeypatch.setattr("polku.cba.store.cost_benefit_of", refuse)
    monkeypatch.setattr(cost_benefit, "cost_benefit_of", refuse)
    monkeypatch.setattr(ReportStore, "table", refuse)
    stored = {name: _round_trip(table) for name, table in run.tables.items()} | run.names
    assert len(impact.impact_section(stored, ctx())) > 10
    assert len(cost_benefit.cost_benefit_section(stored, ctx())) >= 3


def test_compute_twice_gives_identical_tables(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two services (one with estimates, checks and curves), computed afresh twice."""
    from polku.pipeline.store_views import store_views

    monkeypatch.setattr("polku.pipeline.store_views.store_views", partial(store_views, services=["COACH", "IPS"]))
    first = impact.compute_impact(run.store, AnalysisContext())
    again = AnalysisContext()
    second = {**impact.compute_impact(run.store, again), **cost_benefit.compute_cost_benefit(run.store, again)}
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], check_exact=True, obj=name)
    coach = run.tables["impact_effects"]["service_code"].isin(["COACH", "IPS"])
    pd.testing.assert_frame_equal(first["impact_effects"], run.tables["impact_effects"][coach].reset_index(drop=True))
    cba = run.tables["cba_results"]
    pd.testing.assert_frame_equal(second["cba_results"], cba[cba["service_code"].isin(["COACH", "IPS"])].reset_index(drop=True))


def _count(cell: str) -> int | None:
    return None if cell == sdc.MARKER else int(cell.replace("\u202f", ""))


def _participant_counts(run: Run, threshold: int) -> dict[str, list[int | None]]:
    """Each service's participant counts as the four tables show them: effects, observed
    versus expected (all participants), time to work (participants), cost-benefit."""
    c = ctx("en", threshold)
    blocks = {
        getattr(b, "id", None): b
        for b in [
            *impact.impact_section(run.tables | run.names, c),
            *cost_benefit.cost_benefit_section(run.tables | run.names, c),
        ]
    }
    counts: dict[str, list[int | None]] = {}
    for row in blocks["impact-services"].rows:
        counts.setdefault(row[0], []).append(_count(row[1]))
    for row in blocks["impact-expected"].rows:
        if row[1] == "all participants":
            counts[row[0]].append(_count(row[2]))
    for row in blocks["impact-survival"].rows:
        if row[1] == "Participants":
            counts[row[0]].append(_count(row[2]))
    for row in blocks["cba-services"].rows:
        counts[row[0]].append(_count(row[1]))
    return counts


@pytest.mark.parametrize("threshold", [4, 10, 20])
def test_no_small_count_from_two_tables_participants(run: Run, threshold: int) -> None:
    """The effects table shows the participants in the estimate, observed versus expected all
    those with a censoring weight, time to work those the curves keep, cost-benefit all
    followed: no two shown counts of a service may differ by 1 to T-1 (those trimmed)."""
    counts = _participant_counts(run, threshold)
    for name, values in counts.items():
        shown = [v for v in values if v is not None]
        assert not any(sdc.is_sensitive(abs(a - b), threshold) for a in shown for b in shown), (name, values)
    coach = counts["Job-search coaching"]
    assert len(coach) == 4 and coach[0] == 65
    if threshold > 2:  # the fit gave 65, 67, 63 and 67: all but the effects table's count hidden
        assert coach[1:] == [None, None, None]


def _row(participants: int, in_estimate: int, employed: int = 40) -> ServiceCostBenefit:
    result = CostBenefit(participants, 100_000.0, 12.0, 20_000.0, 25_000.0, 1.0, 240_000.0, 300_000.0, 20_000.0)
    monte_carlo = MonteCarlo(1000, 0.9, 0.95, {p: 1.0 for p in (5, 25, 50, 75, 95)}, {p: 2.0 for p in (5, 25, 50, 75, 95)})
    return ServiceCostBenefit(
        "S", 2025, result, monte_carlo, [], employed, effect=Effect(12.0, 2.0, 22.0), in_estimate=in_estimate
    )


@pytest.mark.parametrize(
    ("participants", "in_estimate", "impact_shows", "hidden"),
    [
        (120, 115, 115, True),  # 5 trimmed, the impact table shows 115: all participants hidden
        (120, 100, 100, False),  # 20 trimmed: not a small count
        (120, 120, 120, False),  # none trimmed: the same number in both tables
        (120, 115, None, False),  # the impact table hides its count: this row's own gate decides
    ],
)
def test_cost_benefit_row_hides_participants_beside_the_impact_count(
    participants: int, in_estimate: int, impact_shows: int | None, hidden: bool
) -> None:
    row = _row(participants, in_estimate)
    estimates = [{"level": "service", "service_code": "S", "n_treated": impact_shows}]
    (released,) = cost_benefit.released_cost_benefit([row], estimates, [], 10)
    assert (released["participants"] is None) == hidden
    assert ("benefit" in released) == (not hidden)
    assert released["hidden_with_impact"] == hidden
    tables = cba_tables([row])
    assert stored_cost_benefit({name: _round_trip(table) for name, table in tables.items()}) == [row]


@pytest.mark.parametrize("lang", ["en", "fi", "sv"])
def test_each_shown_effect_is_said_in_plain_words(run: Run, lang: str) -> None:
    """Issue 15.8: the impact section itself says each service's effect in plain words, with
    its interval, from the same released row as the effects table (not only the summary)."""
    from polku.reports.blocks import Table
    from polku.reports.plain import plain_words

    c = ctx(lang)
    blocks = impact.impact_section(run.tables | run.names, c)
    plain = next(b for b in blocks if isinstance(b, Table) and b.id == "impact-plain")
    released = impact.released_rows(10, [row for v in run.analysis.computed["impact_views"] for row in v.rows])
    shown = [r for r in released if r["level"] == "service" and r["estimate"] is not None]
    assert len(plain.rows) == len(shown) >= 1  # coaching; the other services are too small at 600 clients
    service = service_labeler(run.names, c)
    for row, r in zip(plain.rows, shown):
        expected = plain_words(lang, r["outcome_mean_treated"], r["estimate"], r["ci_low"], r["ci_high"], 12)
        assert row == (service(r["service_code"]), expected)
    coach = next(r for r in shown if r["service_code"] == "COACH")
    found = round(100 * coach["outcome_mean_treated"])
    assert str(found) in dict(plain.rows)[service("COACH")]
