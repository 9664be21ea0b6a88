"""Cost-benefit analysis over the store: every figure traced back to the store's rows."""

from __future__ import annotations

import json
import re
from datetime import UTC

import numpy as np
import pytest
from click.testing import CliRunner

from polku.cba.store import daily_wage_from_allowance, service_cost_benefit
from polku.cli import main
from polku.fiscal.legislation import legislation
from polku.fiscal.rules import run
from polku.fiscal.rules.unemployment import DAILY
from polku.pipeline.by_service import service_estimates
from polku.store import open_store
from synthetic_areas import Area


def test_daily_wage_is_recovered_from_the_allowance_paid() -> None:
    """The earnings-related formula inverted gives back the daily wage, in the 90 % cap
    region (42), under and over the break point (89.46, 223.65) and high up (400)."""
    p = legislation().on("2025-06-15")
    wages = np.array([42.0, 50.0, 89.46, 150.0, 223.65, 400.0])
    n = len(wages)
    columns = {
        "benefit_type": np.full(n, 3.0),
        "children": np.zeros(n),
        "daily_wage": wages,
        "benefit_days": np.ones(n),
        "benefit_days_used_before": np.zeros(n),
        "adjusted_benefit_months": np.zeros(n),
        "step_down_applies": np.zeros(n),
    }
    full = run(DAILY, columns, p)["full_daily_amount"]
    np.testing.assert_allclose(daily_wage_from_allowance(full, p), wages, rtol=1e-9)
    assert np.isnan(daily_wage_from_allowance(np.array([np.nan]), p)[0])


def test_service_analysis_adds_up_from_the_store(area: Area) -> None:
    with open_store(area.store_path, read_only=True) as store:
        row = service_cost_benefit(store, "COACH", seed=0)
        estimates, frame = service_estimates(store, "COACH", outcome="employed_12m", seed=0, by_provider=False)
        participants = frame[frame["treated"]]
        (cost,) = store.con.execute(
            "SELECT sum(cost) FROM service_episode WHERE episode_id IN (SELECT unnest(?))", [participants["episode_id"].tolist()]
        ).fetchone()
    effect = estimates[0].result
    assert row.result is not None and 2023 <= row.year <= 2026
    assert row.result.participants == len(participants)
    assert row.result.additional_employments == pytest.approx(len(participants) * effect.estimate)
    assert row.result.cost == pytest.approx(cost)
    assert row.employed == int((participants["employed_12m"] == 1).sum())
    assert row.result.benefit == pytest.approx(row.result.additional_employments * row.result.gain_per_employment)
    assert row.result.gain_per_employment > 0 and 0 <= row.monte_carlo.probability_benefit_exceeds_cost <= 1
    assert sum(
        row.gain_by[p] for p in ("state", "municipalities", "kela", "unemployment_insurance", "pension_system")
    ) == pytest.approx(row.result.gain_per_employment_with_pension)


def test_cba_command_over_the_store(area: Area, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_STORE", str(area.store_path))
    result = CliRunner().invoke(main, ["cba", "--service", "COACH", "--service", "REHAB", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["service"] for r in rows] == ["COACH", "REHAB"]
    assert all("monte_carlo" in r or r["note"] for r in rows)
    refused = CliRunner().invoke(main, ["cba", "--cost", "100"])
    assert refused.exit_code == 2 and "go with --employed" in refused.output


@pytest.fixture(scope="module")
def run_tables(area: Area) -> tuple[dict, list[int], int]:
    """The area's impact and cost-benefit tables as `polku analyse` computes them, how many
    times the impact views were fitted for them, and the number of services."""
    from polku.pipeline import store_views as views_module
    from polku.pipeline.settings import AnalysisContext
    from polku.reports import queries
    from polku.reports.compute import ReportStore
    from polku.reports.sections import impact
    from polku.reports.sections.cost_benefit import compute_cost_benefit

    calls: list[int] = []
    real = views_module.store_views
    mp = pytest.MonkeyPatch()
    mp.setattr(views_module, "store_views", lambda store, **kw: calls.append(1) or real(store, **kw))
    try:
        with open_store(area.store_path, read_only=True) as store:
            report_store, analysis = ReportStore(store.path, store.con), AnalysisContext()
            tables = {**impact.compute_impact(report_store, analysis), **compute_cost_benefit(report_store, analysis)}
            tables |= {"services_names": queries.service_names(report_store), "providers_list": queries.providers(report_store)}
            services = store.con.execute("SELECT count(DISTINCT service_code) FROM service_episode").fetchone()[0]
    finally:
        mp.undo()
    return tables, calls, services


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_report_section_shows_each_service_with_its_chart(run_tables: tuple[dict, list[int], int], lang: str) -> None:
    from datetime import date, datetime

    from polku.reports.blocks import Chart, Table
    from polku.reports.context import ReportContext
    from polku.reports.sections.cost_benefit import cost_benefit_section

    ctx = ReportContext(lang, 5, datetime(2026, 1, 1, tzinfo=UTC), date(2025, 12, 31))
    results, _, services = run_tables
    blocks = cost_benefit_section(results, ctx)
    tables = {b.id: b for b in blocks if isinstance(b, Table)}
    assert len(tables["cba-services"].rows) == services
    charts = [b for b in blocks if isinstance(b, Chart)]
    assert len(charts) == 2 and all("<svg" in c.svg for c in charts)  # net per participant, and the tornado
    assert tables["cba-tornado"].rows
    assert re.search(r"\b202[3-6]\b", blocks[0].text)  # the rules' year is filled in


def test_first_job_and_benefits_are_read_from_one_row_each(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Hand-made store rows: the first open-market job has no wage (it is imputed, not
    taken from the next job); two housing allowance decisions overlap (the latest counts,
    not their sum); the earnings-related allowance is recorded per month (divided by
    21.5); a subsidised job and a job ended before the start are not the first job."""
    import uuid

    import pandas as pd

    from polku.cba.store import _employed_persons

    person = uuid.UUID(int=1)
    start = pd.Timestamp("2024-03-01")
    with open_store(tmp_path / "s.duckdb") as store:
        meta = "1, 1, 'test', 1"
        store.con.execute(f"""INSERT INTO employment_spell VALUES
            ('old', '{person}', DATE '2023-01-01', DATE '2024-01-31', 37.5, 3000, 'private', false, 'case_record', {meta}),
            ('sub', '{person}', DATE '2024-04-01', NULL, 37.5, 2500, 'private', true, 'case_record', {meta}),
            ('first', '{person}', DATE '2024-05-01', DATE '2024-08-31', 20, NULL, 'private', false, 'case_record', {meta}),
            ('second', '{person}', DATE '2024-10-01', NULL, 37.5, 4600, 'private', false, 'case_record', {meta})""")
        store.con.execute(f"""INSERT INTO benefit_spell VALUES
            ('h1', '{person}', 'housing_allowance', 'kela', 300, 'month', DATE '2023-06-01', NULL, false, {meta}),
            ('h2', '{person}', 'housing_allowance', 'kela', 320, 'month', DATE '2024-01-01', NULL, false, {meta}),
            ('e1', '{person}', 'earnings_related_allowance', 'unemployment_fund', 1305.54, 'month', DATE '2023-12-01',
             NULL, false, {meta})""")
        employed = pd.DataFrame(
            {
                "person_id": [person],
                "ref_date": [start],
                "age": [40.0],
                "sex": ["female"],
                "education_level": ["upper_secondary"],
                "benefit": ["earnings_related_allowance"],
            }
        )
        rows, fallbacks = _employed_persons(store, employed)
    row = rows.iloc[0]
    assert row["weekly_hours"] == 20 and pd.isna(row["annual_wage_income"])  # imputed later, never 4 600 x 12
    assert row["housing_allowance_monthly"] == 320
    assert row["unemployment_benefit_type"] == "earnings_related" and fallbacks == 0
    # 1 305.54 a month = 60.7228 a day: the 2026 TYJ row, inverted with the rules of 29 February 2024
    p = legislation().on("2024-02-29")
    assert row["earnings_related_daily_wage_basis"] == pytest.approx(daily_wage_from_allowance(np.array([1305.54 / 21.5]), p)[0])


def test_report_computes_the_impact_views_once_for_both_sections(run_tables: tuple[dict, list[int], int]) -> None:
    """The run fits the views once; the impact and cost-benefit tables both stand on them."""
    results, calls, _ = run_tables
    assert calls == [1]
    assert {"impact_effects", "cba_results"} <= set(results)
