"""Cost-benefit analysis over the store: every figure traced back to the store's rows."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from polku.cba.store import daily_wage_from_allowance, service_cost_benefit
from polku.cli import main
from polku.demo import DemoResult
from polku.fiscal.legislation import legislation
from polku.fiscal.rules import run
from polku.fiscal.rules.unemployment import DAILY
from polku.impact.by_service import service_estimates
from polku.store import open_store


def test_daily_wage_is_recovered_from_the_allowance_paid() -> None:
    """The earnings-related formula inverted gives back the daily wage, in the 90 % cap
    region (42), under and over the break point (89.46, 223.65) and high up (400)."""
    p = legislation().on("2025-06-15")
    wages = np.array([42.0, 50.0, 89.46, 150.0, 223.65, 400.0])
    n = len(wages)
    columns = {"benefit_type": np.full(n, 3.0), "children": np.zeros(n), "daily_wage": wages, "benefit_days": np.ones(n),
               "benefit_days_used_before": np.zeros(n), "adjusted_benefit_months": np.zeros(n), "step_down_applies": np.zeros(n)}
    full = run(DAILY, columns, p)["full_daily_amount"]
    np.testing.assert_allclose(daily_wage_from_allowance(full, p), wages, rtol=1e-9)
    assert np.isnan(daily_wage_from_allowance(np.array([np.nan]), p)[0])


def test_service_analysis_adds_up_from_the_store(area: DemoResult) -> None:
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
    assert sum(row.gain_by[p] for p in ("state", "municipalities", "kela", "unemployment_insurance", "pension_system")) == \
        pytest.approx(row.result.gain_per_employment_with_pension)


def test_cba_command_over_the_store(area: DemoResult, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_STORE", str(area.store_path))
    result = CliRunner().invoke(main, ["cba", "--service", "COACH", "--service", "REHAB", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["service"] for r in rows] == ["COACH", "REHAB"]
    assert all("monte_carlo" in r or r["note"] for r in rows)
    refused = CliRunner().invoke(main, ["cba", "--cost", "100"])
    assert refused.exit_code == 2 and "go with --employed" in refused.output


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_report_section_shows_each_service_with_its_chart(area: DemoResult, lang: str) -> None:
    from datetime import date, datetime, timezone

    from polku.reports.blocks import Chart, Table
    from polku.reports.context import ReportContext
    from polku.reports.sections.cost_benefit import cost_benefit_section

    ctx = ReportContext(lang, 5, datetime(2026, 1, 1, tzinfo=timezone.utc), date(2025, 12, 31))
    with open_store(area.store_path, read_only=True) as store:
        blocks = cost_benefit_section(store, ctx)
        services = store.con.execute("SELECT count(DISTINCT service_code) FROM service_episode").fetchone()[0]
    tables = {b.id: b for b in blocks if isinstance(b, Table)}
    assert len(tables["cba-services"].rows) == services
    assert any(isinstance(b, Chart) and "<svg" in b.svg for b in blocks)
    assert tables["cba-tornado"].rows and "{" not in blocks[0].text  # the year is filled in
