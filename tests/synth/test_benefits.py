"""Benefits follow status: unemployment benefit only while registered, adjusted only beside
part-time work, the earnings-related formula of fiscal-parameters.md, the right payers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from conftest import views
from polku.synth.benefits import earnings_related_daily

UNEMPLOYMENT = "('basic_unemployment_allowance', 'labour_market_subsidy', 'earnings_related_allowance')"


@pytest.fixture(scope="module")
def con(clean_dir: Path) -> duckdb.DuckDBPyConnection:
    return views(clean_dir, "benefit_spell", "employment_spell", "registration_spell", "person")


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def test_no_unadjusted_unemployment_benefit_during_any_job(con: duckdb.DuckDBPyConnection) -> None:
    assert (
        _count(
            con,
            f"""SELECT count(*) FROM benefit_spell b JOIN employment_spell e USING (hetu)
        WHERE b.benefit_type IN {UNEMPLOYMENT} AND NOT b.adjusted
          AND b.start_date <= coalesce(e.end_date, DATE '2026-03-31')
          AND e.start_date <= coalesce(b.end_date, DATE '2026-03-31')""",
        )
        == 0
    )


def test_adjusted_benefit_only_beside_part_time_open_market_work(con: duckdb.DuckDBPyConnection) -> None:
    adjusted = _count(con, "SELECT count(*) FROM benefit_spell WHERE adjusted")
    beside = _count(
        con,
        """SELECT count(DISTINCT b.benefit_id) FROM benefit_spell b JOIN employment_spell e
        ON b.hetu = e.hetu AND b.start_date = e.start_date AND e.weekly_hours <= 30 AND NOT e.subsidised
        WHERE b.adjusted""",
    )
    assert adjusted > 20 and beside == adjusted
    full_time = _count(
        con,
        """SELECT count(*) FROM benefit_spell b JOIN employment_spell e USING (hetu)
        WHERE b.adjusted AND e.weekly_hours > 30 AND b.start_date <= coalesce(e.end_date, DATE '2026-03-31')
          AND e.start_date <= coalesce(b.end_date, DATE '2026-03-31')""",
    )
    assert full_time == 0


def test_unemployment_benefit_lies_inside_a_registration_spell(con: duckdb.DuckDBPyConnection) -> None:
    outside = _count(
        con,
        f"""SELECT count(*) FROM benefit_spell b WHERE b.benefit_type IN {UNEMPLOYMENT}
        AND NOT b.adjusted AND NOT EXISTS (SELECT 1 FROM registration_spell r WHERE r.hetu = b.hetu
          AND r.start_date <= b.start_date
          AND coalesce(r.end_date, DATE '2026-03-31') >= coalesce(b.end_date, DATE '2026-03-31'))""",
    )
    assert outside == 0


def test_payers_and_units_match_the_benefit(con: duckdb.DuckDBPyConnection) -> None:
    pairs = set(con.execute("SELECT DISTINCT benefit_type, payer, amount_unit FROM benefit_spell").fetchall())
    assert ("earnings_related_allowance", "unemployment_fund", "day") in pairs
    assert ("labour_market_subsidy", "kela", "day") in pairs
    assert ("housing_allowance", "kela", "month") in pairs
    assert {("social_assistance", "kela", "month"), ("social_assistance", "municipality", "month")} <= pairs
    assert {t for t, _, _ in pairs} >= {
        "basic_unemployment_allowance",
        "sickness_allowance",
        "rehabilitation_allowance",
        "partial_disability_pension",
    }
    for benefit, payer, _ in pairs:
        assert payer != "unemployment_fund" or benefit == "earnings_related_allowance"


def test_basic_amounts_are_the_statutory_daily_rates(con: duckdb.DuckDBPyConnection) -> None:
    rates = con.execute("""SELECT DISTINCT year(start_date), amount FROM benefit_spell
        WHERE benefit_type IN ('basic_unemployment_allowance', 'labour_market_subsidy') AND NOT adjusted
          AND year(start_date) >= 2023""").fetchall()
    assert {float(a) for _, a in rates} == {37.21}


def test_recipient_stock_matches_kela_at_the_end_of_2023(con: duckdb.DuckDBPyConnection) -> None:
    """Kela, end of 2023: of 325 952 recipients 40 % earnings-related (129 148), 11 % basic
    allowance (35 213), 50 % labour market subsidy (161 591). Bands +-10 points."""
    shares = dict(
        con.execute(f"""SELECT benefit_type, count(*) / sum(count(*)) OVER () FROM benefit_spell
        WHERE benefit_type IN {UNEMPLOYMENT} AND NOT adjusted AND start_date <= DATE '2023-12-31'
          AND coalesce(end_date, DATE '2099-12-31') >= DATE '2023-12-31' GROUP BY 1""").fetchall()
    )
    assert 0.30 < shares["earnings_related_allowance"] < 0.50
    assert 0.40 < shares["labour_market_subsidy"] < 0.60
    assert 0.03 < shares["basic_unemployment_allowance"] < 0.21


def test_earnings_related_formula_reproduces_fiscal_parameters() -> None:
    """fiscal-parameters.md §2.3 with 2025 values: wage 3 000 €/month, deduction 3.54 %:
    d = 3000 x 0.9646 / 21.5 = 134.60; 37.21 + 0.45 x (134.60 - 37.21) = 81.03 €/day.
    Above the break point (8 000 €/month, 2026, deduction 3.83 %): d = 357.84;
    37.21 + 0.45 x (164.42 - 37.21) + 0.20 x (357.84 - 164.42) = 133.14. A low wage
    (900 €, 2025): 38.64 is capped at 90 % of d = 36.34, then floored at 37.21."""
    got = earnings_related_daily(np.array([3000.0, 8000.0, 900.0]), np.array([2025, 2026, 2025]))
    assert got[0] == pytest.approx(81.03, abs=0.01)
    assert got[1] == pytest.approx(133.14, abs=0.01)
    assert got[2] == pytest.approx(37.21, abs=0.001)
