"""The effects `polku analyse --json` prints, read from a run's `impact_effects` table: an
absent table gives none, missing values are None, each row's level follows from its nulls,
and the gate sees the same records as `polku estimate --json`."""

from __future__ import annotations

import math

import pandas as pd
from runs_sample import hand_made_effects

from polku import sdc
from polku.runs.effects import effect_lines, estimate_records


def test_a_run_without_the_effects_table_has_no_effects() -> None:
    assert estimate_records({}) == [] and effect_lines([]) == []
    assert estimate_records({"clients_by_group": pd.DataFrame({"a": [1]})}) == []


def test_each_row_becomes_an_estimate_record_with_its_level() -> None:
    records = estimate_records({"impact_effects": hand_made_effects()})
    assert [r["level"] for r in records] == ["service", "service_group", "service_group", "service_provider"]
    assert records[0] == {
        "level": "service",
        "service_code": "SERV1",
        "client_group": None,
        "provider_id": None,
        "method": "aipw",
        "outcome": "employed_12m",
        "n_treated": 120,
        "n_control": 480,
        "n_trimmed": 0,
        "estimate": 0.081,
        "ci_low": 0.021,
        "ci_high": 0.141,
        "note": None,
    }
    assert all(type(r["n_treated"]) is int and type(r["estimate"]) is float for r in records)  # JSON-ready, not numpy


def test_missing_values_and_missing_columns_are_none() -> None:
    frame = hand_made_effects().drop(columns=["comparison", "n_trimmed"]).head(1)
    frame["estimate"] = math.nan
    (record,) = estimate_records({"impact_effects": frame})
    assert record["estimate"] is None and record["n_control"] is None and record["n_trimmed"] == 0
    (line,) = effect_lines(sdc.release_estimates([record]))
    assert line["estimate"] is None and line["suppressed"] and line["participants"] == 120
