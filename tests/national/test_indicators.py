"""The national indicators on a hand-made register whose answers are counted by hand
(definitions in `polku.national.indicators`), and observed against expected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import ibis
import numpy as np
import pandas as pd
import pytest
from national_helpers import inflow_frame

from polku.national.expected import observed_expected
from polku.national.indicators import area_indicators

END = dt.date(2025, 12, 31)
"""Inflow: spells begun 2024-01-02 ... 2024-12-31."""
D = dt.date


def _tables() -> Callable[[str], ibis.Table]:
    spells = pd.DataFrame(
        [
            # area, person, spell, start, end, activity, prev36, carried months
            ("A", "p1", "s1", D(2024, 3, 1), D(2024, 3, 20)),  # work after 20 days
            ("A", "p2", "s2", D(2024, 6, 1), None),  # no work, open on E: 18 months
            ("A", "p3", "s3", D(2024, 2, 1), D(2024, 9, 1)),  # open-market work after 182 days
            ("A", "p4", "s4", D(2023, 5, 1), None),  # before the inflow year; open: 31 months
            ("A", "p5", "s5", D(2025, 10, 1), None),  # after it; open: 2 months
            ("B", "p6", "s6", D(2024, 4, 1), D(2024, 4, 30)),  # work after 30 days
        ],
        columns=["area", "person_id", "spell_id", "start_date", "end_date"],
    ).assign(activity_before="work", months_unemployed_prev36=0, current_spell_months=0)
    jobs = pd.DataFrame(
        [
            ("A", "p1", D(2024, 3, 21), False),
            ("A", "p1", D(2024, 9, 1), False),
            ("A", "p3", D(2024, 2, 10), True),  # subsidised: not open-market work
            ("A", "p3", D(2024, 8, 1), False),
            ("B", "p6", D(2024, 5, 1), False),
        ],
        columns=["area", "person_id", "start_date", "subsidised"],
    ).assign(end_date=None)
    episodes = pd.DataFrame(
        [
            ("A", "p1", D(2024, 2, 15), "completed"),
            ("A", "p3", D(2024, 1, 10), "completed"),
            ("A", "p3", D(2024, 5, 1), "completed"),
            ("A", "p2", D(2024, 7, 1), "did_not_start"),
            ("A", "p5", D(2025, 10, 5), "ongoing"),
        ],
        columns=["area", "person_id", "start_date", "completion_status"],
    )
    for frame in (spells, jobs, episodes):
        for column in ("start_date", "end_date"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column]).dt.date
    dates = {"start_date": "date", "end_date": "date"}
    text = dict.fromkeys(("area", "person_id"), "string")
    registration = dates | text | {"spell_id": "string", "activity_before": "string"}
    registration |= {"months_unemployed_prev36": "int64", "current_spell_months": "int64"}
    tables = {
        "registration_spell": ibis.memtable(spells, schema=ibis.schema(registration)),
        "employment_spell": ibis.memtable(jobs, schema=ibis.schema(dates | text | {"subsidised": "boolean"})),
        "service_episode": ibis.memtable(
            episodes, schema=ibis.schema(text | {"start_date": "date", "completion_status": "string"})
        ),
    }
    return tables.__getitem__


@pytest.fixture(scope="module")
def rows() -> dict[str, dict[str, object]]:
    frame = ibis.duckdb.connect().to_pyarrow(area_indicators(_tables(), END, "x")).to_pandas()
    return {r["area"]: r for r in frame.to_dict("records")}


def test_flows_of_the_inflow_year(rows: dict[str, dict[str, object]]) -> None:
    a = rows["A"]
    assert a["inflow"] == 3
    assert a["days_to_work"] == pytest.approx((20 + 365 + 182) / 3)
    assert (a["work_3m"], a["work_6m"], a["work_12m"]) == pytest.approx((1 / 3, 2 / 3, 2 / 3))
    assert (a["over_3m"], a["over_3m_share"]) == (2, pytest.approx(2 / 3))
    assert rows["B"]["inflow"] == 1 and rows["B"]["days_to_work"] == 30


def test_long_term_share_of_the_spells_open_on_the_last_day(rows: dict[str, dict[str, object]]) -> None:
    assert (rows["A"]["open_spells"], rows["A"]["long_term"]) == (3, 2)
    assert rows["A"]["long_term_share"] == pytest.approx(2 / 3)
    assert pd.isna(rows["B"]["open_spells"])


def test_employment_and_contract_coefficients(rows: dict[str, dict[str, object]]) -> None:
    """Clients p1 and p3 (p2 did not start, p5 began after the year); contracts: p1 two, p3 one."""
    a = rows["A"]
    assert (a["service_clients"], a["employed_clients"], a["contracts"]) == (2, 2, 3)
    assert (a["employment_coefficient"], a["contract_coefficient"]) == (1.0, 1.5)


def test_observed_against_expected_adds_up_and_has_the_funnel_limits() -> None:
    g = np.random.default_rng(0)
    n = 3000
    frame = inflow_frame(g, {"A01": 900, "A02": 2100})
    frame["worked"] = g.random(n) < 1 / (1 + np.exp(-(0.5 - 0.03 * (frame["age"] - 40))))
    out = observed_expected(frame).set_index("area")
    assert out["n"].sum() == n and out["observed"].sum() == frame["worked"].sum()
    assert out["expected"].sum() == pytest.approx(out["observed"].sum(), rel=1e-3)  # calibrated in the large
    p = frame["worked"].mean()
    assert out.loc["A01", "upper_95"] == pytest.approx(p + 1.96 * np.sqrt(p * (1 - p) / out.loc["A01", "n"]))
    assert out.loc["A01", "adjusted_share"] == pytest.approx(p * out.loc["A01", "observed"] / out.loc["A01", "expected"])
