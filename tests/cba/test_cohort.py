"""`polku cba` from a file of employed participants: wages imputed where missing, the
gain by simulation, the result as JSON, and bad input refused."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from polku.cba.cohort import employed_gain, with_wages
from polku.cli import main
from polku.fiscal.wages import full_time_monthly_wage

EMPLOYED = (
    "person_id,age,sex,education_level,weekly_hours,annual_wage_income,unemployment_benefit_type,"
    """earnings_related_daily_wage_basis
a,35,female,upper_secondary,37.5,30000,labour_market_subsidy,
b,50,male,basic,20,,labour_market_subsidy,
"""
)


def test_missing_wage_is_imputed_at_the_jobs_hours() -> None:
    frame = pd.read_csv(io.StringIO(EMPLOYED))
    filled = with_wages(frame, 2025)
    monthly = full_time_monthly_wage(2025, ["basic"], [float("nan")], [50], ["male"])[0]
    assert filled["annual_wage_income"].tolist() == pytest.approx([30000, monthly * 12 * 20 / 37.5])
    assert filled["wage_imputed"].tolist() == [0, 1]
    gain, simulated = employed_gain(frame, 2025)
    assert gain.without_pension == pytest.approx(simulated["gain_without_pension"].mean())
    assert len(simulated) == 2


def test_cba_command_json(tmp_path: Path) -> None:
    path = tmp_path / "employed.csv"
    path.write_text(EMPLOYED, encoding="utf-8")
    args = [
        "cba",
        "--year",
        "2025",
        "--employed",
        str(path),
        "--participants",
        "62",
        "--cost",
        "94000",
        "--additional",
        "16",
        "--interval",
        "8,24",
        "--json",
    ]
    gated = CliRunner().invoke(main, args)
    assert gated.exit_code == 0, gated.output
    shown = json.loads(gated.stdout)
    # two employed people in the file: their mean gain would describe them, so the gate shows no money
    assert "benefit" not in shown and "gain_per_employment" not in shown and shown["sdc_applied"] is True
    result = CliRunner().invoke(main, args + ["--exact"])
    assert result.exit_code == 0, result.output
    p = json.loads(result.stdout)
    assert p["benefit"] == pytest.approx(16 * p["gain_per_employment"])
    assert p["net"] == pytest.approx(p["benefit"] - 94000)
    assert 0 < p["monte_carlo"]["probability_benefit_exceeds_cost"] <= 1
    assert p["wages_imputed"] == 1 and p["tornado"][0]["name"].startswith("additional employments")
    assert set(p["gain_per_employment_by"]) >= {"state", "municipalities", "kela", "pension_system", "benefit_savings"}
    bad = CliRunner().invoke(main, args[:-3] + ["--interval", "20,24"])
    assert bad.exit_code == 2 and "within --interval" in bad.output
    path.write_text(EMPLOYED.replace(",male,basic,", ",male,,").replace("sex,education_level", "sex,education"), encoding="utf-8")
    missing = CliRunner().invoke(main, args)
    assert missing.exit_code == 1 and "cannot be imputed without the column 'education_level'" in missing.output
