"""Polku's AIPW against an independent implementation: EconML's doubly robust learner.

One synthetic data set with a known effect, estimated by both with the same estimand (the
ATE over all units: Polku with `trim=0`, since EconML trims nothing), the same number of
cross-fitting folds (5) and the same nuisance model classes (StandardScaler +
LogisticRegression(C=1e6) for the propensity score and for the 0/1 outcome). EconML fits
one outcome model on the covariates plus the treatment indicator, Polku one per group;
both are correctly specified for these data, so the two estimators have the same
influence function and may differ only by the noise of their different fold splits.
`benchmarks/impact.py` runs the same comparison on 1,000,000 rows and times it.
"""

from __future__ import annotations

import numpy as np
import pytest
from econml.dr import LinearDRLearner
from scipy.special import expit
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from polku.impact import AIPW

ROWS, SEED = 4000, 0


def confounded_employment(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """X (three normal covariates and one 0/1), participation t that depends on X, a 0/1
    outcome y with the service adding 0.8 to the log-odds, and the sample's true ATE and
    ATT (means of p1(x) - p0(x) over everybody and over participants). Participants have
    higher x0 and so higher log-odds, where 0.8 on the log-odds is more on the probability
    scale: the ATT exceeds the ATE."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=(rows, 3)), rng.random(rows) < 0.4]).astype(float)
    t = rng.random(rows) < expit(-0.8 + 1.0 * X[:, 0] - 0.5 * X[:, 1] + 0.3 * X[:, 2] + 0.5 * X[:, 3])
    index = -1.5 + 1.0 * X[:, 0] - 1.0 * X[:, 1] + 0.5 * X[:, 2] - 0.5 * X[:, 3]
    p0, p1 = expit(index), expit(index + 0.8)
    y = np.where(t, rng.random(rows) < p1, rng.random(rows) < p0).astype(float)
    return X, t, y, float((p1 - p0).mean()), float((p1 - p0)[t].mean())


def _logistic() -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(C=1e6, max_iter=5000))


# EconML passes the outcome to its classifier as an n x 1 column; scikit-learn warns about that.
@pytest.mark.filterwarnings("ignore:A column-vector y was passed:sklearn.exceptions.DataConversionWarning")
def test_aipw_ate_agrees_with_econml_dr_learner() -> None:
    X, t, y, true_ate, true_att = confounded_employment(ROWS, SEED)

    polku = AIPW(estimand="ate", n_folds=5, trim=0, random_state=SEED).fit(X, t, y).result_
    learner = LinearDRLearner(
        model_propensity=_logistic(), model_regression=_logistic(), discrete_outcome=True, cv=5, random_state=SEED
    )
    learner.fit(y, t.astype(int), W=X)
    econml = float(np.squeeze(learner.ate()))
    econml_se = float(np.squeeze(learner.ate_inference().stderr_mean))
    econml_low, econml_high = (float(np.squeeze(v)) for v in learner.ate_interval(alpha=0.05))

    assert polku.estimate is not None and polku.std_error is not None
    assert polku.n_trimmed == 0 and polku.n_treated + polku.n_control == ROWS

    # The data are confounded: the naive difference is more than 10 SE from the truth.
    assert abs(polku.naive_difference - true_ate) > 10 * polku.std_error

    # Tolerance: a quarter of Polku's standard error. The two estimators share their
    # influence function, so their difference comes only from fold splits and the outcome
    # models' parametrisation. Over 40 data sets like this one (seeds 0-39, 4,000 rows)
    # the difference had a standard deviation of 0.053 SE and a largest absolute value of
    # 0.116 SE, so 0.25 SE is more than four of those standard deviations; an estimand
    # mix-up (ATT instead of ATE: here 1.4-1.7 SE apart) or an unadjusted comparison
    # (more than 10 SE off) fails it.
    assert abs(econml - polku.estimate) < 0.25 * polku.std_error
    assert abs(true_att - true_ate) > 4 * 0.25 * polku.std_error  # the tolerance tells the estimands apart
    # Both standard errors estimate the same influence function's spread (measured ratio 0.989-1.007).
    assert econml_se == pytest.approx(polku.std_error, rel=0.05)
    # Both 95 % intervals cover the sample's true ATE (fixed seed: this is a check on one
    # data set, not a coverage study; test_known_answers.py measures coverage).
    assert polku.ci_low <= true_ate <= polku.ci_high
    assert econml_low <= true_ate <= econml_high


# -- Polku's fast default nuisance fits against scikit-learn --------------------------------
# With no model passed in, AIPW's cross-fitted propensity and outcome models are fitted in
# numpy (Newton's method; least squares from sums), not by scikit-learn's L-BFGS, whose
# gradient tolerance (1e-4) leaves probabilities open by up to about 4e-4. They must equal
# the same pipelines solved to a tolerance of 1e-12 by scikit-learn's own Newton solver
# (same objective: penalty 1/(2C) on the StandardScaler coefficients, C = 1e6), also with
# case weights, with a covariate that is constant in some training folds, and with none.


def _tight_logistic() -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(C=1e6, solver="newton-cholesky", tol=1e-12, max_iter=1000))


def _nuisance_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    from polku.impact.propensity import folds

    rng = np.random.default_rng(3)
    n = 2000
    X = np.column_stack([rng.normal(size=(n, 3)) * [1, 10, 1000], rng.random(n) < 0.3, np.full(n, 7.0), np.zeros(n)])
    t = rng.random(n) < expit(-0.5 + X[:, 0] - 0.05 * X[:, 1] + 0.3 * X[:, 3])
    y_binary = (rng.random(n) < expit(0.2 + X[:, 0] + 0.001 * X[:, 2])).astype(float)
    y_continuous = 1 + X[:, 0] + 0.01 * X[:, 1] + 0.001 * X[:, 2] + rng.normal(size=n)
    splits = folds(t, 5, 0)
    X[splits[0][1][:30], 5] = 1.0  # varies only inside fold 0: constant in the other folds' training rows
    return X, t, y_binary, y_continuous, rng.uniform(0.5, 2.0, n), splits


@pytest.mark.parametrize("weighted", [False, True])
def test_fast_default_fits_equal_scikit_learn_solved_tightly(weighted: bool) -> None:
    from polku.impact.propensity import cross_fit_outcome, cross_fit_propensity

    X, t, y_binary, y_continuous, weights, splits = _nuisance_data()
    w = weights if weighted else None
    fast = cross_fit_propensity(X, t, splits, None, w)
    assert np.abs(fast - cross_fit_propensity(X, t, splits, _tight_logistic(), w)).max() < 1e-9
    fast = cross_fit_outcome(X, y_binary, ~t, splits, True, None, w)
    assert np.abs(fast - cross_fit_outcome(X, y_binary, ~t, splits, True, _tight_logistic(), w)).max() < 1e-9
    fast = cross_fit_outcome(X, y_continuous, t, splits, False, None, w)
    reference = cross_fit_outcome(X, y_continuous, t, splits, False, make_pipeline(StandardScaler(), LinearRegression()), w)
    assert np.abs(fast - reference).max() < 1e-9 * y_continuous.std()


@pytest.mark.parametrize("weighted", [False, True])
def test_fast_default_fits_without_covariates_are_the_training_means(weighted: bool) -> None:
    """No covariates: every model is its (weighted) mean over the training rows of the group."""
    from polku.impact.propensity import cross_fit_outcome, cross_fit_propensity

    X, t, y_binary, y_continuous, weights, splits = _nuisance_data()
    X, w = X[:, :0], weights if weighted else np.ones(len(t))
    scores = cross_fit_propensity(X, t, splits, None, w if weighted else None)
    controls = cross_fit_outcome(X, y_binary, ~t, splits, True, None, w if weighted else None)
    treated = cross_fit_outcome(X, y_continuous, t, splits, False, None, w if weighted else None)
    for train, test in splits:
        control_rows, treated_rows = train[~t[train]], train[t[train]]
        assert scores[test] == pytest.approx(np.average(t[train], weights=w[train]), abs=1e-12)
        assert controls[test] == pytest.approx(np.average(y_binary[control_rows], weights=w[control_rows]), abs=1e-12)
        assert treated[test] == pytest.approx(np.average(y_continuous[treated_rows], weights=w[treated_rows]), abs=1e-12)
