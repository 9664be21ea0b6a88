"""Marginals of the synthetic job seekers lie in the bands of the public statistics cited in
assumptions.yaml, on a 20 000-client area (seed 0, as in docs/synthetic.md)."""

from __future__ import annotations

import duckdb
import pytest

from conftest import views
from polku.synth import generate


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    out = tmp_path_factory.mktemp("seed0")
    generate(clients=20_000, seed=0, out_dir=out, flaw_rate=0)
    return views(out, "person", "registration_spell", "service_episode", "employment_spell")


def _shares(con: duckdb.DuckDBPyConnection, column: str) -> dict[str, float]:
    return dict(con.execute(f"SELECT {column}::VARCHAR, count(*) / sum(count(*)) OVER () FROM person GROUP BY 1").fetchall())


def test_education_language_sex_and_partial_work_ability(con: duckdb.DuckDBPyConnection) -> None:
    """Statistics Finland 2018: a quarter basic/unknown, half upper secondary, a fifth
    tertiary; men about 55 %; partial work ability about a fifth of the stock (Vates/TEM)."""
    education = _shares(con, "education_level")
    assert 0.20 < education["basic"] < 0.32 and 0.45 < education["upper_secondary"] < 0.60
    assert 0.15 < education["tertiary"] < 0.27
    assert 0.50 < _shares(con, "sex")["male"] < 0.60
    assert 0.12 < _shares(con, "partial_work_ability")["true"] < 0.24
    assert 0.03 < _shares(con, "mother_tongue_group")["other"] < 0.10


def test_long_term_unemployed_share_of_the_stock(con: duckdb.DuckDBPyConnection) -> None:
    """TEM/KEHA reviews: 36 % of the unemployed long-term (12+ months) in August 2023."""
    share = con.execute("""SELECT avg(((DATE '2023-08-31' - start_date) / 30.4375 + current_spell_months >= 12)::INT)
        FROM registration_spell WHERE start_date <= DATE '2023-08-31'
          AND coalesce(end_date, DATE '2099-12-31') > DATE '2023-08-31'""").fetchone()[0]
    assert 0.28 < share < 0.46


def test_ages_span_working_life_and_registration_covers_several_years(con: duckdb.DuckDBPyConnection) -> None:
    low, high = con.execute("SELECT min(2025 - birth_year), max(2021 - birth_year) FROM person").fetchone()
    assert low >= 17 and high <= 66
    years = con.execute("SELECT count(DISTINCT year(start_date)) FROM registration_spell").fetchone()[0]
    assert years >= 5


def test_ips_with_partial_work_ability_matches_seed_000_at_15_months(con: duckdb.DuckDBPyConnection) -> None:
    """Seed 000 (Rovaniemi IPS, May 2021 - Aug 2022): employment coefficient 0.52 (36 of
    69 clients employed) and contract coefficient 0.71 (49 contracts). Ours: IPS clients
    with partial work ability, contracts starting within 15 months of the start, among
    starts at least 15 months before the extraction. Tolerance +-0.08 (69 clients in the
    original, so its own sampling error is about +-0.06)."""
    clients, employed, contracts = con.execute("""
        WITH ips AS (SELECT e.hetu, e.start_date FROM service_episode e JOIN person p USING (hetu)
            WHERE e.service_code = 'IPS' AND p.partial_work_ability
              AND e.start_date <= DATE '2026-03-31' - INTERVAL 15 MONTH),
        n AS (SELECT ips.hetu, count(j.employment_id) AS contracts FROM ips LEFT JOIN employment_spell j
            ON j.hetu = ips.hetu AND j.start_date >= ips.start_date AND j.start_date < ips.start_date + INTERVAL 15 MONTH
            GROUP BY 1)
        SELECT count(*), avg((contracts > 0)::INT), avg(contracts) FROM n""").fetchone()
    assert clients > 300
    assert employed == pytest.approx(0.52, abs=0.08)
    assert contracts == pytest.approx(0.71, abs=0.08)
