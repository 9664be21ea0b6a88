"""The Ibis cohort build gives the cohort the SQL build gave, row for row.

Recorded before the build moved to Ibis (commit 1a7776a, the DuckDB SQL of
`polku.cohort.build`), on this folder's area (`conftest.area`: 3,000 clients, seed 11,
pseudonym key 5e...5e) with `CohortSpec(code, seed=7)`:
  - every column of rehabilitative work activity (REHAB, comparison drawn only among the
    people the law allows it for) and of coaching (COACH, whose comparison people often
    start a service later: the dates the censoring reads) in `data/cohort_<code>_seed7.parquet`;
  - for every service, the SHA-256 of the cohort as CSV (`frame.to_csv(index=False,
    float_format="%.9f")`), person ids in their text form.
Same persons, dates and values in the same order; float columns to 1e-12.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from polku.cohort.build import CohortSpec, build_cohort
from polku.cohort.censoring import censoring_weights
from polku.store import Store

DATA = Path(__file__).parent / "data"
DIGESTS = {
    "COACH": "9df1f07b19c7eceea34cb70830e05ab0a8684c99ce5d58362fac781c2a60c6f6",
    "IPS": "8b343716846bb58fd0995805aba77f67029d0221b6d82e564c747b9ff3e8bb8a",
    "REHAB": "d60f85d7452fabb627931be45b20910b95c4233daca7bb4d83464061f2d363e6",
    "TRAIN": "a7360382d229568340a7e413f23efdff12342bc96e86cf4c8a0560457f5037eb",
    "WSUB": "1a7cec70581d7928303d765f5748e98a76ee3a63e08b28874ecb13327bd56ce4",
    "WTRIAL": "12d0ba130fa0025d7cd2bfe44c13049d294eb80b6a604a38363574801b4f930f",
}


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False, float_format="%.9f").encode()).hexdigest()


def _assert_same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    assert list(new.columns) == list(old.columns) and len(new) == len(old)
    for column in old.columns:
        assert new[column].dtype == old[column].dtype, column
        if old[column].dtype.kind == "f":
            np.testing.assert_allclose(new[column], old[column], rtol=0, atol=1e-12, err_msg=column)
        else:
            same = new[column].astype(object).where(new[column].notna(), None) == old[column].astype(object).where(
                old[column].notna(), None
            )
            assert (same | (new[column].isna() & old[column].isna())).all(), column


@pytest.mark.parametrize("code", ["REHAB", "COACH"])
def test_every_column_of_the_recorded_cohort(store: Store, code: str) -> None:
    new = build_cohort(store, CohortSpec(code, seed=7))
    old = pd.read_parquet(DATA / f"cohort_{code}_seed7.parquet")
    _assert_same(new.assign(person_id=new.person_id.astype(str)), old)
    assert (~old.treated).sum() > 0.8 * 5 * old.treated.sum()  # the draw is there, not only participants
    if code == "COACH":  # comparison people referred later: the censoring sees the same dates, so the same weights
        assert old.loc[~old.treated, "first_service_after"].notna().mean() > 0.3
        X = new[["age", "spell_months"]].to_numpy(float)
        np.testing.assert_array_equal(censoring_weights(new, X, 12), censoring_weights(old, X, 12))


@pytest.mark.parametrize("code", sorted(DIGESTS))
def test_the_digest_of_every_service_cohort(store: Store, code: str) -> None:
    assert _digest(build_cohort(store, CohortSpec(code, seed=7))) == DIGESTS[code]
