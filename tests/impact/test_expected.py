"""Expected versus observed (the seed brief's method) against known answers."""

from __future__ import annotations

import numpy as np
import pytest

from polku.impact import ExpectedVersusObserved


def test_without_informative_covariates_expected_is_the_reference_rate() -> None:
    """With one constant covariate the model can only learn the reference rate r, so
    E = n1 * r exactly and the cohort variance is n1 r (1 - r) plus the model's."""
    t = np.r_[np.ones(100, bool), np.zeros(400, bool)]
    y = np.r_[np.ones(50), np.zeros(50), np.ones(120), np.zeros(280)]  # participants 50 %, reference 30 %
    X = np.ones((500, 1))
    estimator = ExpectedVersusObserved(bootstrap=200, random_state=1).fit(X, t, y)
    result = estimator.result_
    assert result.observed == 50
    assert result.expected == pytest.approx(30.0, abs=1e-3)
    assert result.estimate == pytest.approx(0.2, abs=1e-5)
    assert result.extra["ratio"] == pytest.approx(50 / 30, abs=1e-4)
    assert result.extra["variance_outcome"] == pytest.approx(100 * 0.3 * 0.7, abs=1e-3)
    # bootstrap variance of E = 100 * (reference rate), about 100^2 * 0.3 * 0.7 / 400 = 5.25
    assert 3.5 < result.extra["variance_model"] < 7.5


def test_cohort_interval_covers_the_realised_additional_employments() -> None:
    """Simulated cohorts with known outcomes without the service: the interval for
    O - sum Y(0) should cover in about 95 % of 60 replications (>= 52 required)."""
    covered = 0
    for replication in range(60):
        rng = np.random.default_rng(500 + replication)
        n = 1500
        X = rng.normal(size=(n, 2))
        t = rng.random(n) < 1 / (1 + np.exp(-(-1.2 + X[:, 0])))
        p0 = 1 / (1 + np.exp(-(-0.3 + 0.8 * X[:, 0] - 0.5 * X[:, 1])))
        y0 = rng.random(n) < p0
        y1 = y0 | (rng.random(n) < 0.15)  # the service adds work for some
        y = np.where(t, y1, y0).astype(float)
        result = ExpectedVersusObserved(bootstrap=40, random_state=replication).fit(X, t, y).result_
        truth = float(y1[t].sum() - y0[t].sum())
        low, high = result.extra["additional_ci"]
        covered += low <= truth <= high
    assert covered >= 52


def test_model_quality_is_measured_on_held_out_reference_people() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4000, 3))
    t = rng.random(4000) < 0.2
    y = (rng.random(4000) < 1 / (1 + np.exp(-(2 * X[:, 0])))).astype(float)
    estimator = ExpectedVersusObserved(bootstrap=0).fit(X, t, y)
    quality = estimator.quality_
    assert quality.n_train + quality.n_holdout == int((~t).sum())
    assert 0.75 < quality.auc < 0.9 and 0.1 < quality.brier < 0.22
    assert sum(b.count for b in quality.calibration) == quality.n_holdout
    assert all(abs(b.mean_predicted - b.observed_rate) < 0.12 for b in quality.calibration if b.count > 100)


def test_gradient_boosting_is_calibrated_and_close_on_a_nonlinear_truth() -> None:
    """No-service chance depends on |x| (a logistic model in x cannot see it)."""
    rng = np.random.default_rng(4)
    n = 5000
    X = rng.normal(size=(n, 1))
    t = rng.random(n) < 0.3
    p0 = 1 / (1 + np.exp(-(1.5 - 2 * np.abs(X[:, 0]))))
    y = (rng.random(n) < np.where(t, np.minimum(p0 + 0.1, 1), p0)).astype(float)
    boosted = ExpectedVersusObserved(model="boosting", bootstrap=0).fit(X, t, y)
    linear = ExpectedVersusObserved(model="logistic", bootstrap=0).fit(X, t, y)
    truth = float(np.minimum(p0 + 0.1, 1)[t].mean() - p0[t].mean())
    assert abs(boosted.result_.estimate - truth) < 0.04
    assert boosted.quality_.auc > linear.quality_.auc + 0.1


def test_continuous_outcome_uses_regression_and_residual_variance() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3000, 2))
    t = rng.random(3000) < 1 / (1 + np.exp(-X[:, 0]))
    y = 1000 + 300 * X[:, 0] + 500 * t + rng.normal(0, 200, 3000)
    result = ExpectedVersusObserved(bootstrap=30).fit(X, t, y).result_
    assert result.extra["r2"] > 0.6 and result.extra["auc"] is None
    assert result.ci_low < 500 < result.ci_high
    assert result.extra["variance_outcome"] == pytest.approx(result.n_treated * 200**2, rel=0.15)
