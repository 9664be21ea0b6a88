"""The labour-market terms, checked by hand on a few rows."""

from __future__ import annotations

import math

import pandas as pd

from polku.cohort.features import ADJUSTMENT, TERMS, with_labour_market_terms


def test_terms_by_hand() -> None:
    rows = pd.DataFrame(
        {
            "age": [24.99, 25.0, 49.9, 50.0, 59.99, 60.0],
            "spell_months": [0, 11, 12, 30, 3, 12],
            "months_unemployed_prev36": [0, 23, 24, 36, 5, 24],
        }
    )
    out = with_labour_market_terms(rows)
    assert out["log_spell_months"].tolist() == [0.0, math.log(12), math.log(13), math.log(31), math.log(4), math.log(13)]
    assert out["long_term_unemployed"].tolist() == [0, 0, 1, 1, 0, 1]
    assert out["recurrently_unemployed"].tolist() == [0, 0, 1, 1, 0, 1]
    assert out["age_under_25"].tolist() == [1, 0, 0, 0, 0, 0]
    assert out["age_25_29"].tolist() == [0, 1, 0, 0, 0, 0]
    assert out["age_50_54"].tolist() == [0, 0, 0, 1, 0, 0]
    assert out["age_55_59"].tolist() == [0, 0, 0, 0, 1, 0]
    assert out["age_60_over"].tolist() == [0, 0, 0, 0, 0, 1]
    # 30-49 is the reference band: no band column is set
    assert out.loc[2, list(TERMS[3:])].sum() == 0
    assert set(TERMS) <= set(ADJUSTMENT) and "age" in ADJUSTMENT
    assert list(rows.columns) == ["age", "spell_months", "months_unemployed_prev36"]  # input untouched
