"""Refutation checks: E-value by hand, placebo and random common cause on known data."""

from __future__ import annotations

import math

import pytest
from impact_data import confounded

from polku.impact import AIPW, EffectEstimate
from polku.impact.refute import _rr_e_value, e_value, outcome_sd, placebo_treatment, random_common_cause


def test_e_value_of_a_risk_ratio_by_hand() -> None:
    """VanderWeele and Ding (2017): RR 3.9 gives E = 3.9 + sqrt(3.9 * 2.9) = 7.26; a
    protective RR 0.5 is read as 2, E = 2 + sqrt(2) = 3.41; RR 1 gives 1."""
    assert _rr_e_value(3.9) == pytest.approx(3.9 + math.sqrt(3.9 * 2.9))
    assert _rr_e_value(0.5) == pytest.approx(2 + math.sqrt(2))
    assert _rr_e_value(1.0) == pytest.approx(1.0)


def test_e_value_for_a_difference_in_shares() -> None:
    """60 % of participants employed, effect +20 points: RR = 0.6 / 0.4 = 1.5, E = 1.5 +
    sqrt(0.75) = 2.37; the interval's lower limit 0.05 gives RR 0.6 / 0.55."""
    result = EffectEstimate("aipw", "att", 0.20, 0.076, 0.05, 0.35, 300, 900, outcome_mean_treated=0.6)
    values = e_value(result)
    assert values["estimate"] == pytest.approx(1.5 + math.sqrt(0.75))
    assert values["ci"] == pytest.approx(_rr_e_value(0.6 / 0.55))
    no_effect = EffectEstimate("aipw", "att", 0.02, 0.03, -0.04, 0.08, 300, 900, outcome_mean_treated=0.6)
    assert e_value(no_effect)["ci"] == 1.0


def test_placebo_treatment_shows_no_effect_where_the_real_one_does() -> None:
    d = confounded(3000, effect=2.0, seed=21)
    fitted = AIPW(random_state=1).fit(d.X, d.t, d.y, d.covariates)
    check = placebo_treatment(d, fitted.result_, fitted, random_state=4)
    assert check.passed and abs(check.new) < 0.3
    assert check.original == pytest.approx(2.0, abs=0.3)


def test_random_common_cause_barely_moves_a_sound_estimate() -> None:
    d = confounded(3000, effect=2.0, seed=22)
    fitted = AIPW(random_state=1).fit(d.X, d.t, d.y, d.covariates)
    check = random_common_cause(d, fitted.result_, fitted, random_state=5)
    assert check.passed and abs(check.new - check.original) < 0.05
    assert outcome_sd(d.y) is not None and outcome_sd(d.y > 1) is None
