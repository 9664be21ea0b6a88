"""Measurements follow services about every three months and improve more where the
service and provider are effective; goals carry baseline, target and a coherent status."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from conftest import views


@pytest.fixture(scope="module")
def con(clean_dir: Path) -> duckdb.DuckDBPyConnection:
    return views(clean_dir, "measurement", "service_episode", "goal", "provider")


def test_participants_are_measured_at_start_and_about_every_three_months(con: duckdb.DuckDBPyConnection) -> None:
    gaps = con.execute("""SELECT median(gap) FROM (
        SELECT measured_on - lag(measured_on) OVER (PARTITION BY hetu ORDER BY measured_on) AS gap
        FROM (SELECT DISTINCT hetu, measured_on FROM measurement)) WHERE gap IS NOT NULL""").fetchone()[0]
    assert 80 <= gaps <= 95
    at_start = con.execute("""SELECT avg((EXISTS (SELECT 1 FROM measurement m WHERE m.hetu = e.hetu
        AND m.measured_on = e.start_date))::INT) FROM service_episode e""").fetchone()[0]
    assert at_start == 1.0


def test_change_is_larger_with_better_providers(con: duckdb.DuckDBPyConnection) -> None:
    """Gains scale with provider quality (assumptions.yaml providers.list): the best coaching
    provider (LVP, 1.35) must show a larger mean first-to-last change than the weakest (TTP, 0.5)."""
    rows = dict(
        con.execute("""
        WITH m AS (SELECT m.hetu, m.value, m.measured_on, e.provider_id FROM measurement m
            JOIN service_episode e USING (hetu) WHERE e.service_code = 'COACH' AND m.item = 'job_search'
              AND m.measured_on >= e.start_date),
        d AS (SELECT hetu, provider_id, arg_max(value, measured_on) - arg_min(value, measured_on) AS change,
                     count(*) AS n FROM m GROUP BY 1, 2)
        SELECT provider_id, avg(change) FROM d WHERE n >= 2 GROUP BY 1""").fetchall()
    )
    assert rows["LVP"] > rows["TTP"] + 0.1


def test_work_ability_score_is_on_its_scale_and_rises_under_rehabilitative_work(con: duckdb.DuckDBPyConnection) -> None:
    low, high = con.execute("""SELECT min(value), max(value) FROM measurement
        WHERE item = 'work_ability_score'""").fetchone()
    assert 0 <= low and high <= 10
    change = con.execute("""
        WITH m AS (SELECT m.hetu, m.value, m.measured_on FROM measurement m JOIN service_episode e USING (hetu)
            WHERE e.service_code = 'REHAB' AND e.completion_status = 'completed' AND m.item = 'work_ability_score')
        SELECT avg(d) FROM (SELECT arg_max(value, measured_on) - arg_min(value, measured_on) AS d FROM m GROUP BY hetu)
        """).fetchone()[0]
    assert change > 0.8


def test_goals_have_targets_above_baselines_and_coherent_status(con: duckdb.DuckDBPyConnection) -> None:
    bad = con.execute("SELECT count(*) FROM goal WHERE target < baseline").fetchone()[0]
    assert bad == 0
    statuses = dict(con.execute("SELECT status, count(*) FROM goal GROUP BY 1").fetchall())
    assert set(statuses) == {"open", "achieved", "partly_achieved", "not_achieved", "cancelled"}
    open_with_past_due = con.execute("SELECT count(*) FROM goal WHERE status = 'open' AND due IS NOT NULL").fetchone()[0]
    assert open_with_past_due == 0
