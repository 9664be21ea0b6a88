"""The delta-method variance of E behind the report's expected-versus-observed intervals
(`polku.pipeline.store_views.expected_model_fit`) against the estimator's own bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from polku.impact import ExpectedVersusObserved
from polku.pipeline.store_views import Analysis, expected_model_fit


def _weighted_area(n: int = 4000, seed: int = 0) -> tuple[Analysis, np.ndarray]:
    """Participants picked on x1; the no-service outcome depends on x1 and x2; comparison
    rows carry case weights between 0.5 and 2.5 (as censoring weights do)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    t = rng.random(n) < expit(-1.0 + X[:, 0])
    y = (rng.random(n) < expit(-0.5 + X[:, 0] - X[:, 1] + 0.3 * X[:, 2])).astype(float)
    w = np.where(t, 1.0, rng.uniform(0.5, 2.5, n))
    return Analysis(pd.DataFrame(index=range(n)), X, t, w, ("x1", "x2", "x3")), y


def test_delta_method_variance_of_e_matches_the_bootstrap() -> None:
    seed = 0
    analysis, y = _weighted_area(n=3000, seed=seed)
    model = expected_model_fit(analysis, y)
    everybody = np.ones(int(analysis.t.sum()), dtype=bool)
    delta = model.model_variance(everybody)
    fitted = ExpectedVersusObserved(bootstrap=200, random_state=seed).fit(
        analysis.X, analysis.t, y, analysis.covariates, sample_weight=analysis.w
    )
    boot = fitted.result_.extra["variance_model"]
    # 200 replicates estimate a variance to about 10 %; the two agree within that
    assert 0.75 < boot / delta < 1.33, boot / delta
    np.testing.assert_allclose(model.expected, fitted.expected_, rtol=1e-6)
    # a part of the participants: the variance of its E is smaller, and adds up as a quadratic form
    half = np.arange(len(everybody)) % 2 == 0
    assert 0 < model.model_variance(half) < delta
    g_all = model.gradient_rows.sum(axis=0)
    assert delta == pytest.approx(float(g_all @ model.covariance @ g_all))


def test_ignoring_the_case_weights_would_be_caught() -> None:
    """The weights enter H and M: the sandwich with them differs from the one without."""
    analysis, y = _weighted_area(seed=2)
    unweighted = Analysis(analysis.frame, analysis.X, analysis.t, np.ones(len(y)), analysis.covariates)
    everybody = np.ones(int(analysis.t.sum()), dtype=bool)
    assert expected_model_fit(analysis, y).model_variance(everybody) != pytest.approx(
        expected_model_fit(unweighted, y).model_variance(everybody), rel=0.05
    )


def test_one_person_on_several_dates_is_one_cluster_in_the_model_variance() -> None:
    """Every row twice: the fit is the same, H doubles and (participants doubled too) g
    doubles. With the two copies of a row as one person the scores add up, M is four times
    one copy's and Var(E) four times the original's; taken as independent rows M only
    doubles and Var(E) is twice the original's, a false gain in precision."""
    analysis, y = _weighted_area(n=2000, seed=1)
    n = len(y)
    twice = lambda frame: Analysis(
        frame,
        np.vstack([analysis.X] * 2),
        np.r_[analysis.t, analysis.t],  # noqa: E731
        np.r_[analysis.w, analysis.w],
        analysis.covariates,
    )
    people = pd.DataFrame({"person_id": np.r_[np.arange(n), np.arange(n)]})
    everybody = lambda a: np.ones(int(a.t.sum()), dtype=bool)  # noqa: E731
    once = expected_model_fit(analysis, y).model_variance(everybody(analysis))
    clustered = twice(people)
    rowwise = twice(pd.DataFrame(index=range(2 * n)))
    assert expected_model_fit(clustered, np.r_[y, y]).model_variance(everybody(clustered)) == pytest.approx(4 * once, rel=1e-4)
    assert expected_model_fit(rowwise, np.r_[y, y]).model_variance(everybody(rowwise)) == pytest.approx(2 * once, rel=1e-4)
