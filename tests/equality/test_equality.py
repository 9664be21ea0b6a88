"""Equal treatment: the tests by hand, and allocation inequality found where it was built in.

The Mantel-Haenszel and Holm cases are small enough to compute on paper (steps in each
docstring). The allocation cases are synthetic cohorts with a known truth: one where
Swedish speakers are referred half as often as others of the same client group (flagged),
one where referral depends only on the client group, and Swedish speakers are merely more
often in the group that is referred less (not flagged: the need explains it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from polku.equality.compute import age_group, allocation_rows, calibration_rows, typed
from polku.equality.record import equality_record, release_equality
from polku.equality.significance import calibration, holm, mantel_haenszel


def test_mantel_haenszel_by_hand() -> None:
    """Stratum 1: N = 10, T = 4 with the outcome, n = 5 in the group, 3 of them with it:
        E1 = 5 x 4 / 10 = 2,  V1 = 5 x 5 x 4 x 6 / (10^2 x 9) = 600 / 900 = 0.666667.
    Stratum 2: N = 20, T = 10, n = 4, all 4 with it:
        E2 = 4 x 10 / 20 = 2,  V2 = 4 x 16 x 10 x 10 / (20^2 x 19) = 6400 / 7600 = 0.842105.
    O = 7, E = 4, V = 1.508772, z = 3 / 1.228321 = 2.442359, two-sided p = 0.014592."""
    y = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0] + [1] * 4 + [1] * 6 + [0] * 10)
    g = np.array([1] * 5 + [0] * 5 + [1] * 4 + [0] * 16)
    s = np.array(["a"] * 10 + ["b"] * 20)
    t = mantel_haenszel(y, g, s)
    assert (t.observed, t.expected) == (7.0, 4.0)
    assert t.variance == pytest.approx(600 / 900 + 6400 / 7600)
    assert t.z == pytest.approx(2.442359, abs=1e-6)
    assert t.p == pytest.approx(0.014592, abs=1e-6)


def test_calibration_by_hand() -> None:
    """y = (1, 0, 1), p = (0.5, 0.5, 0.2): O = 2, E = 1.2, V = 0.25 + 0.25 + 0.16 = 0.66."""
    t = calibration(np.array([1.0, 0.0, 1.0]), np.array([0.5, 0.5, 0.2]))
    assert (t.observed, t.expected, t.variance) == pytest.approx((2.0, 1.2, 0.66))


def test_holm_by_hand() -> None:
    """p = (0.01, 0.04, 0.03, 0.005), m = 4; in order 0.005 x 4 = 0.02, 0.01 x 3 = 0.03,
    0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> kept at 0.06 (step-down is monotone)."""
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert np.isnan(holm([np.nan, 0.5])[0]) and holm([np.nan, 0.5])[1] == 0.5


def test_age_bands() -> None:
    assert list(age_group(pd.Series([18.0, 25.0, 29.9, 54.9, 55.0, None]))) == [
        "under 25", "25-29", "25-29", "30-54", "55 and over", "unknown",
    ]  # fmt: skip


@dataclass
class View:
    service_code: str
    frame: pd.DataFrame = field(repr=False)


def cohort(rate_sv: float, sv_share_low: float, seed: int, n: int = 6000) -> View:
    """Job seekers at risk: client group low (referred at 30 %) or high (10 %); mother
    tongue sv with probability `sv_share_low` in low and 0.1 in high; Swedish speakers are
    referred at `rate_sv` times their group's rate."""
    rng = np.random.default_rng(seed)
    low = rng.random(n) < 0.5
    sv = rng.random(n) < np.where(low, sv_share_low, 0.1)
    rate = np.where(low, 0.30, 0.10) * np.where(sv, rate_sv, 1.0)
    frame = pd.DataFrame(
        {
            "treated": rng.random(n) < rate,
            "client_group": np.where(low, "low", "high"),
            "mother_tongue_group": np.where(sv, "sv", "fi"),
            "sex": rng.choice(["female", "male"], n),
            "age": rng.uniform(18, 64, n),
            "partial_work_ability": False,
            "municipality_code": "698",
        }
    )
    return View("COACH", frame)


NAMES = ("sex", "age_group", "mother_tongue_group", "partial_work_ability", "municipality_code")


def flagged(view: View) -> set[tuple[str, str]]:
    tables = {"equality_allocation": typed(allocation_rows(view, NAMES), "equality_allocation")}  # type: ignore[arg-type]
    record = equality_record(tables)
    return {(r["attribute"], r["level"]) for r in record["rows"] if r["flagged"]}


def test_built_in_allocation_inequality_is_flagged() -> None:
    assert ("mother_tongue_group", "sv") in flagged(cohort(rate_sv=0.5, sv_share_low=0.3, seed=1))


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_difference_explained_by_need_is_not_flagged(seed: int) -> None:
    """Swedish speakers make up half of the low group and a tenth of the high one; the low
    group is referred three times as often (30 % against 10 %), so Swedish speakers are
    referred more often (26.7 % against 17.1 % expected), but within each group equally:
    no flag."""
    view = cohort(rate_sv=1.0, sv_share_low=0.5, seed=seed)
    raw = view.frame.groupby("mother_tongue_group")["treated"].mean()
    assert raw["sv"] > 1.3 * raw["fi"]  # an unadjusted comparison would see a difference
    assert flagged(view) == set()


def test_calibration_rows_weighted_and_gate() -> None:
    """Reference rows with the cross-fitted chance p = 0.5 and censoring weight w: 40 women
    (w = 1, 30 in work): O = 30, E = 20, V = 40 x 0.25 = 10, z = 10 / sqrt(10) = 3.162;
    2 men with w = 2 (1 in work): O = 2, E = 2, V = 2 x 4 x 0.25 = 2. Only one of two
    levels is tested, the smaller (the other's test is the same); a 2-row group is withheld."""
    reference = pd.DataFrame(
        {
            "employed_12m": [1, 0, 1, 1] * 10 + [1, 0],
            "potential": 0.5,
            "censoring_weight": [1.0] * 40 + [2.0] * 2,
            "sex": ["female"] * 40 + ["male"] * 2,
            "mother_tongue_group": ["fi"] * 40 + ["sv"] * 2,
        }
    )
    rows = calibration_rows(reference, ("sex", "mother_tongue_group"))
    assert [(r["attribute"], r["level"]) for r in rows] == [("sex", "male"), ("mother_tongue_group", "sv")]
    assert (rows[0]["observed"], rows[0]["expected"], rows[0]["variance"]) == (2.0, 2.0, 2.0)
    three = reference.assign(sex=["female"] * 40 + ["male", "other"])
    female = next(r for r in calibration_rows(three, ("sex",)) if r["level"] == "female")
    assert (female["observed"], female["expected"], female["variance"]) == (30.0, 20.0, 10.0)
    record = equality_record({"equality_calibration": typed(rows + [female], "equality_calibration")})
    top = next(r for r in record["rows"] if r["level"] == "female")
    assert top["z"] == pytest.approx(10 / math.sqrt(10))
    released = release_equality(record, t=10)
    small = [r for r in released["rows"] if r["people"] is None]
    assert len(small) == 2 and all(r["observed"] is None and r["flagged"] is None for r in small)
