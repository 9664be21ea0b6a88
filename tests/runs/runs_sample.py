"""The run tests' data: identity codes in the test range, a persons file, a hand-made
effects table, and the compute function of the test section."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from polku.identity.hetu import CHECK_CHARACTERS
from polku.pipeline.settings import AnalysisContext
from polku.store import Store

HEADER = (
    "hetu,birth_year,birth_month,sex,mother_tongue_group,municipality_code,education_level,isced_level,"
    "partial_work_ability,partial_work_ability_basis\n"
)


def code(i: int) -> str:
    """A valid identity code in DVV's test range (individual numbers 900-999): nobody's."""
    stem = f"010594{900 + i:03d}"
    return f"010594Y{900 + i:03d}{CHECK_CHARACTERS[int(stem) % 31]}"


def persons_csv(path: Path, first: int, count: int) -> Path:
    rows = [f"{code(i)},1994,5,female,fi,698,basic,2,false,\n" for i in range(first, first + count)]
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def hand_made_effects() -> pd.DataFrame:
    """An `impact_effects` table as the impact section stores it (the columns `polku analyse
    --json` reads): a service, its two client groups (one small) and a provider; exact figures."""
    return pd.DataFrame(
        {
            "service_code": ["SERV1", "SERV1", "SERV1", "SERV1"],
            "client_group": [None, "young", "old", None],
            "provider_id": [None, None, None, "P1"],
            "method": ["aipw"] * 4,
            "outcome": ["employed_12m"] * 4,
            "participants": [120, 116, 4, 120],
            "comparison": [480, 464, 16, 480],
            "n_trimmed": [0, 0, 0, 0],
            "estimate": [0.081, 0.079, 0.5, 0.081],
            "lower": [0.021, 0.018, -0.2, 0.021],
            "upper": [0.141, 0.140, 1.2, 0.141],
        }
    )


def compute(store: Store, analysis: AnalysisContext) -> Mapping[str, pd.DataFrame]:
    persons = store.con.execute("SELECT count(*) FROM person").fetchone()[0]  # type: ignore[index]
    rng = np.random.default_rng(analysis.settings.seed)
    return {
        "runs_test_counts": pd.DataFrame(
            {
                "label": ["persons", "draw", "missing"],
                "value": [float(persons), float(rng.normal()), None],
                "whole": pd.array([persons, 2, None], dtype="Int64"),
                "flag": [True, False, True],
                "day": [dt.date(2026, 1, 31), dt.date(2025, 6, 1), None],
            }
        ),
        "runs_test_empty": pd.DataFrame({"a": pd.Series([], dtype="float64")}),
        "impact_effects": hand_made_effects(),
    }
