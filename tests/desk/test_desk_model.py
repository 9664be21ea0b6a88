"""The desk's seed model: reference dates, the recipe's derived terms, and prediction from a
stored table by hand (no fitting at view time)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from polku.desk.expected import INTERCEPT, Z95, chances, fit_terms, reference_dates
from polku.desk.features import derive, design_terms, term_values

D = dt.date


def test_reference_dates_are_quarter_starts_whose_year_has_passed() -> None:
    assert reference_dates(D(2021, 2, 10), D(2022, 10, 1)) == [D(2021, 4, 1), D(2021, 7, 1), D(2021, 10, 1)]
    assert reference_dates(D(2021, 11, 30), D(2023, 1, 1)) == [D(2022, 1, 1)]
    assert reference_dates(D(2021, 1, 1), D(2021, 12, 31)) == []


def _raw(**changes: object) -> pd.DataFrame:
    row = {
        "person_id": "a", "ref_date": D(2026, 3, 31), "spell_start": D(2025, 3, 31), "months_unemployed_prev36": None,
        "activity_before": None, "birth_year": 1990, "birth_month": 9, "sex": "female", "mother_tongue_group": "fi",
        "education_level": "basic", "partial_work_ability": False, "prior_episodes": 2,
    } | changes  # fmt: skip
    return pd.DataFrame([row])


def test_the_recipe_derives_age_and_spell_terms() -> None:
    f = derive(_raw()).iloc[0]
    assert f["age"] == pytest.approx(2026 - 1990 + (3 - 9) / 12)  # 35.5
    assert f["spell_months"] == pytest.approx(365 / (365.25 / 12))  # 11.99 months: not yet long-term
    assert f["long_term_unemployed"] == 0.0 and f["log_spell_months"] == pytest.approx(math.log1p(f["spell_months"]))
    assert (f["months_unemployed_prev36"], f["activity_before"], f["prior_episodes"]) == (0.0, "other", 2.0)
    assert term_values(derive(_raw()), "sex=female").tolist() == [1.0]


def test_prediction_from_a_stored_table_by_hand() -> None:
    terms = pd.DataFrame(
        {
            "term": [INTERCEPT, "age", "sex=male"],
            "mean": [0.0, 40.0, 0.5],
            "scale": [1.0, 10.0, 0.5],
            "coefficient": [-0.5, -0.4, 0.2],
        }
    )
    covariance = pd.DataFrame(
        {"row_term": [t for t in terms.term for _ in range(3)], "column_term": list(terms.term) * 3,
         "covariance": [0.01, 0, 0, 0, 0.04, 0, 0, 0, 0]}
    )  # fmt: skip
    frame = pd.DataFrame({"person_id": ["p"], "age": [30.0], "sex": ["female"]})
    # eta = -0.5 - 0.4 (30 - 40) / 10 + 0.2 (0 - 0.5) / 0.5 = -0.5 + 0.4 - 0.2 = -0.3
    # z = (1, -1, -1): var = 0.01 + 0.04 = 0.05
    row = chances(terms, covariance, frame).iloc[0]
    expit = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    assert row["chance"] == pytest.approx(expit(-0.3))
    assert (row["low"], row["high"]) == (
        pytest.approx(expit(-0.3 - Z95 * math.sqrt(0.05))),
        pytest.approx(expit(-0.3 + Z95 * math.sqrt(0.05))),
    )
    assert row["group"] == "medium"  # 0.426: between 0.30 and 0.55


def test_the_fit_recovers_a_known_logistic_model() -> None:
    """Synthetic truth: logit p = -1 + 0.8 x long-term - 0.05 (age - 40); 20,000 rows."""
    rng = np.random.default_rng(3)
    n = 20_000
    raw = pd.concat([_raw()] * n, ignore_index=True)
    raw["birth_year"] = 2026 - rng.integers(20, 60, n)
    raw["spell_start"] = [D(2026, 3, 31) - dt.timedelta(days=int(d)) for d in rng.integers(10, 800, n)]
    raw["sex"] = rng.choice(["female", "male"], n)
    rows = derive(raw)
    eta = -1 + 0.8 * rows["long_term_unemployed"] - 0.05 * (rows["age"] - 40)
    rows["employed"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    tables = fit_terms(rows, seed=0)
    assert set(design_terms(rows)) >= {"age", "sex=male"}
    fitted = chances(tables["desk_expected_terms"], tables["desk_expected_covariance"], rows.head(2000))
    truth = 1 / (1 + np.exp(-eta.head(2000)))
    assert np.abs(fitted["chance"].to_numpy() - truth.to_numpy()).mean() < 0.02
    covered = (fitted["low"] <= truth) & (truth <= fitted["high"])
    assert covered.mean() > 0.85
    assert tables["desk_expected_quality"]["reference_rows"].iloc[0] == n
