"""Nuisance models learnt from at most FIT_ROWS rows (`polku.impact.propensity.fitted_on`):
nothing changes below the cap; above it every row is still predicted and estimated."""

from __future__ import annotations

import numpy as np
import pytest

from polku.impact import propensity
from polku.impact.registry import DEFAULT_METHOD, make_estimator


def test_fitted_on_keeps_all_rows_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(propensity, "FIT_ROWS", 4)
    group = np.array([True, False] * 5)
    assert propensity.fitted_on(4) is None
    assert propensity.fitted_on(10, group[:8] | True) is not None
    chosen = propensity.fitted_on(10, group)
    assert chosen is not None and chosen.sum() == 4 and not (chosen & ~group).any()
    np.testing.assert_array_equal(chosen, propensity.fitted_on(10, group))  # the same rows each time
    small = np.array([True, False, True, False])
    assert propensity.fitted_on(4, small) is small


def _simulated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Confounded design with a known ATT of 2.0: participation and outcome both rise with x1."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    t = rng.random(n) < 1 / (1 + np.exp(1.5 - 0.8 * X[:, 0] + 0.4 * X[:, 1]))
    y = 1.0 + 1.5 * X[:, 0] - X[:, 2] + 2.0 * t + rng.normal(size=n)
    return X, t, y


def test_aipw_on_a_subset_of_rows_estimates_what_the_full_fit_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """20,000 rows, nuisance models learnt from 4,000: the estimate stays within a tenth of
    its standard error of the full fit's and within three of the true 2.0; the standard
    error is within 5 %."""
    X, t, y = _simulated(20_000, 3)
    names = ["x1", "x2", "x3"]
    full = make_estimator(DEFAULT_METHOD, random_state=0).fit(X, t, y, names).result_
    monkeypatch.setattr(propensity, "FIT_ROWS", 4_000)
    part = make_estimator(DEFAULT_METHOD, random_state=0).fit(X, t, y, names).result_
    assert full.estimate is not None and part.estimate is not None and full.std_error and part.std_error
    assert part.estimate != full.estimate  # the cap did apply
    assert abs(part.estimate - full.estimate) < 0.1 * full.std_error
    assert abs(part.std_error / full.std_error - 1) < 0.05
    assert abs(part.estimate - 2.0) < 3 * part.std_error  # no bias beyond noise (here +2.1 SE, as the full fit)


def test_in_sample_propensities_above_the_cap_come_from_a_subset(monkeypatch: pytest.MonkeyPatch) -> None:
    """`fit_propensity` on 20,000 rows with a cap of 4,000: every row gets a score, the
    scores move (the cap applied) but stay within 0.03 of the full fit's on average (here 0.016: a
    fit on 4,000 rows has that much sampling error), correlated above 0.98."""
    X, t, _ = _simulated(20_000, 5)
    full = propensity.fit_propensity(X, t)
    monkeypatch.setattr(propensity, "FIT_ROWS", 4_000)
    part = propensity.fit_propensity(X, t)
    assert part.shape == full.shape and not np.array_equal(part, full)
    assert np.abs(part - full).mean() < 0.03 and np.corrcoef(part, full)[0, 1] > 0.98
