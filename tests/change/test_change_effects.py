"""Effects of services on measured change (polku.change.effects): the outcome windows worked
out by hand, and on a constructed cohort with a known effect and a built-in missingness
bias, that weighting for the chance of being measured recovers the effect while the
measured-only estimate does not."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from change_cohorts import cohort_frame

from polku.change.effects import ItemScale, change_outcomes, item_effects, measurement_weights
from polku.impact.design import Design

DAY0 = pd.Timestamp("2024-01-01")
SCALE = ItemScale("client_change_meter", "skills", 1)


def _m(person: str, day: int, value: float, item: str = "skills") -> dict[str, object]:
    return {
        "person_id": person,
        "instrument": "client_change_meter",
        "item": item,
        "value": value,
        "measured_on": DAY0 + pd.Timedelta(days=day),
    }


def _cohort_row(person: str, treated: bool, later_service: int | None = None, ref: int = 0) -> dict[str, object]:
    later = DAY0 + pd.Timedelta(days=later_service) if later_service is not None else pd.NaT
    return {"person_id": person, "treated": treated, "ref_date": DAY0 + pd.Timedelta(days=ref), "first_service_after": later}


def test_change_outcomes_by_hand() -> None:
    """6 months = window_days(6) = 183 days; measurements count within 45 days either side.
    - a (participant): 2 on day 0, 4 on day 182, 5 on day 230 -> nearest to 183 is day 182: change +2
    - b (comparison): 3 on day -40, 2 on day 140 -> change -1 (day 140 is 43 days early)
    - c (comparison): 3 on day 0, 4 on day 182, but started a service on day 100 -> missing
    - d (participant): 3 on day 0, 4 on day 240 (57 days late) -> missing
    - e (comparison): first measured on day 50 (too late for a baseline) -> left out
    - f (participant): starts on day 400, its 6 months not over by the data's end -> left out
    """
    values = pd.DataFrame(
        [_m("a", 0, 2), _m("a", 182, 4), _m("a", 230, 5), _m("a", 182, 1, "wellbeing")]
        + [_m("b", -40, 3), _m("b", 140, 2), _m("c", 0, 3), _m("c", 182, 4), _m("d", 0, 3), _m("d", 240, 4)]
        + [_m("e", 50, 3), _m("e", 233, 4), _m("f", 400, 3)]
    )
    cohort = pd.DataFrame(
        [_cohort_row("a", True), _cohort_row("b", False), _cohort_row("c", False, 100), _cohort_row("d", True)]
        + [_cohort_row("e", False), _cohort_row("f", True, ref=400)]
    )
    rows = change_outcomes(cohort, values, SCALE, 6, dt.date(2024, 12, 31)).set_index("person_id")
    assert list(rows.index) == ["a", "b", "c", "d"]
    assert rows["measured"].to_dict() == {"a": True, "b": True, "c": False, "d": False}
    assert rows.loc["a", "change"] == 2 and rows.loc["b", "change"] == -1
    assert rows.loc[["c", "d"], "change"].isna().all()
    assert rows["baseline_level"].to_dict() == {"a": 2, "b": 3, "c": 3, "d": 3}
    worse = change_outcomes(cohort, values, ItemScale("client_change_meter", "skills", -1), 6, dt.date(2024, 12, 31))
    assert worse.set_index("person_id").loc["a", "change"] == -2  # a lower-is-better item turns the sign


def _constructed(n: int, seed: int) -> tuple[pd.DataFrame, float]:
    """A cohort with a known effect (`change_cohorts.cohort_frame`): pwa people (40 %) are
    more often participants (30 % against 15 %), and are measured at follow-up with chance
    0.3 against 0.9."""
    g = np.random.default_rng(seed)
    pwa = g.random(n) < 0.4
    age = g.uniform(20, 62, n)
    treated = g.random(n) < np.where(pwa, 0.3, 0.15)
    return cohort_frame(g, treated, pwa, measured_chance=(0.3, 0.9), age=age)


@pytest.fixture(scope="module")
def constructed() -> tuple[pd.DataFrame, float, list[dict[str, object]]]:
    frame, truth = _constructed(6000, 7)
    return frame, truth, item_effects(frame, 0, "constructed")


def test_weighting_recovers_the_effect_the_measured_alone_overstate(constructed: tuple) -> None:
    """Truth = 0.6 x share of participants without pwa + 0.1 x share with (0.299 here: about
    60 % of participants have pwa). Among the measured participants the pwa share falls to
    about a third, so the measured-only estimate is 0.447 (+0.149); weighting by
    1 / P(measured) restores the mix: 0.310 (SE 0.029)."""
    _, truth, rows = constructed
    overall = next(r for r in rows if r["client_group"] == "all")
    assert abs(overall["estimate"] - truth) < 3 * overall["std_error"]
    assert abs(overall["estimate"] - truth) < 0.05
    assert overall["estimate_unweighted"] - truth > 0.06  # the built-in bias
    assert abs(overall["estimate_unweighted"] - truth) > 2 * abs(overall["estimate"] - truth)
    assert overall["ci_low"] < truth < overall["ci_high"]


def test_groups_and_the_tipping_point(constructed: tuple) -> None:
    """By group the effect is 0.1 (pwa) and 0.6 (others); the tipping delta is -ATT / m."""
    frame, _, rows = constructed
    by = {r["client_group"]: r for r in rows}
    assert abs(by["partial_work_ability"]["estimate"] - 0.1) < 3 * by["partial_work_ability"]["std_error"]
    assert abs(by["full_work_ability"]["estimate"] - 0.6) < 3 * by["full_work_ability"]["std_error"]
    overall = by["all"]
    missing = 1 - frame.loc[frame["treated"], "measured"].mean()
    assert overall["share_missing"] == pytest.approx(missing)
    assert overall["tipping_delta"] == pytest.approx(-overall["estimate"] / missing)
    assert overall["participants"] == int(frame["treated"].sum())
    assert overall["measured_comparison"] == int((~frame["treated"] & frame["measured"]).sum())


def test_measurement_weights_are_inverse_chances() -> None:
    """A covariate that alone decides the chance (0.8 against 0.4): the weights of measured
    rows approach 1/0.8 and 1/0.4, the unmeasured get 0."""
    g = np.random.default_rng(3)
    x = (g.random(20000) < 0.5).astype(float)
    measured = g.random(20000) < np.where(x == 1, 0.8, 0.4)
    design = Design(x[:, None], g.random(20000) < 0.3, np.zeros(20000), ("x",))
    w = measurement_weights(design, measured)
    assert (w[~measured] == 0).all()
    assert w[measured & (x == 1)].mean() == pytest.approx(1 / 0.8, rel=0.05)
    assert w[measured & (x == 0)].mean() == pytest.approx(1 / 0.4, rel=0.05)
    assert (measurement_weights(design, np.ones(20000, bool)) == 1).all()


def test_too_few_measured_are_withheld_with_a_note() -> None:
    frame, _ = _constructed(300, 1)
    rows = item_effects(frame, 0, "small")
    small = [r for r in rows if r["note"]]
    assert small and all(np.isnan(r["estimate"]) for r in small)
    assert all("fewer than" in r["note"] for r in small)
