"""The doubly robust (augmented IPCW) pseudo-outcome on simulations with a known
never-served outcome (`referral_data`, as in test_censoring.py), and its exact identities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from polku.cohort.augmented import augmented_outcome
from polku.cohort.build import window_days
from polku.cohort.censoring import censoring_weights
from referral_data import comparison_people, eligible_referrals, long_term_referrals

WRONG = DummyClassifier(strategy="prior")
"""A model that ignores every feature: one constant monthly hazard."""


def _observed(frame: pd.DataFrame) -> np.ndarray:
    days = pd.to_datetime(frame.first_job_day).sub(frame.ref_date).dt.days.to_numpy(dtype=float, na_value=np.inf)
    return days < window_days(12)


def _weighted_rate(frame: pd.DataFrame, w: np.ndarray) -> float:
    return float((w * _observed(frame)).sum() / w.sum())


@pytest.mark.parametrize(("simulation", "seed"), [(comparison_people, 1), (long_term_referrals, 3), (eligible_referrals, 5)])
def test_pseudo_outcome_recovers_the_never_served_rate(simulation, seed: int) -> None:
    """Measured: truth 0.677, 0.367, 0.301; pseudo-outcome 0.683, 0.365, 0.304 (IPCW 0.681, 0.374, 0.308)."""
    frame, X, never_served = simulation(20000, seed)
    assert augmented_outcome(frame, X, 12).mean() == pytest.approx(never_served.mean(), abs=0.008)


def test_a_wrong_censoring_model_is_rescued_by_the_job_model() -> None:
    """Both job and referral hazards rise with x. With a referral model that ignores x the
    censoring weights alone are 6 points off; the pseudo-outcome, whose job model is right,
    is not (measured: truth 0.677, IPCW 0.613, augmented 0.681)."""
    frame, X, never_served = comparison_people(20000, seed=1)
    truth = never_served.mean()
    assert abs(_weighted_rate(frame, censoring_weights(frame, X, 12, model=WRONG)) - truth) > 0.05
    assert augmented_outcome(frame, X, 12, censoring_model=WRONG).mean() == pytest.approx(truth, abs=0.008)


def test_a_wrong_job_model_is_rescued_by_the_censoring_model() -> None:
    """Measured: truth 0.367, augmented with a constant job hazard 0.367."""
    frame, X, never_served = long_term_referrals(20000, seed=3)
    assert augmented_outcome(frame, X, 12, job_model=WRONG).mean() == pytest.approx(never_served.mean(), abs=0.01)


def test_without_referrals_the_pseudo_outcome_is_the_outcome() -> None:
    frame, X, _ = comparison_people(3000, seed=2)
    frame["first_service_after"] = pd.NaT
    np.testing.assert_allclose(augmented_outcome(frame, X, 12), _observed(frame).astype(float), atol=1e-12)


def test_when_nobody_works_the_pseudo_outcome_is_zero() -> None:
    frame, X, _ = comparison_people(3000, seed=2)
    frame["first_job_day"] = pd.NaT
    np.testing.assert_allclose(augmented_outcome(frame, X, 12), 0.0, atol=1e-12)


def test_participants_keep_their_observed_outcome_and_windows_of_any_length_work() -> None:
    frame, X, _ = comparison_people(3000, seed=2)
    frame.loc[:99, "treated"] = True
    for months in (3, 6, 12, 24):  # 6 and 24 months end part-way into a month
        days = pd.to_datetime(frame.first_job_day).sub(frame.ref_date).dt.days.to_numpy(dtype=float, na_value=np.inf)
        y = augmented_outcome(frame, X, months)
        np.testing.assert_array_equal(y[:100], (days[:100] < window_days(months)).astype(float))
        assert np.isfinite(y).all()
