"""Data with known answers for the impact estimators (importable helpers; fixtures are in conftest)."""

from __future__ import annotations

import numpy as np

from polku.impact import Design


def confounded(n: int = 4000, effect: float = 2.0, seed: int = 0, binary: bool = False) -> Design:
    """Selection on x1, x2 (participants have higher x1: naive comparisons are biased up).

    Continuous: y = 1 + 3 x1 - 2 x2 + effect T + noise, so ATT = ATE = `effect`.
    Binary: P(y=1) = logistic(-0.5 + x1 - x2 + effect T); the true ATT is returned in
    the outcome generator's potential outcomes and checked by the tests themselves.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    e = 1 / (1 + np.exp(-(-1.0 + 1.2 * X[:, 0] - 0.6 * X[:, 1])))
    t = rng.random(n) < e
    if binary:
        p0 = 1 / (1 + np.exp(-(-0.5 + X[:, 0] - X[:, 1])))
        p1 = 1 / (1 + np.exp(-(-0.5 + X[:, 0] - X[:, 1] + effect)))
        y = np.where(t, rng.random(n) < p1, rng.random(n) < p0).astype(float)
    else:
        y = 1 + 3 * X[:, 0] - 2 * X[:, 1] + effect * t + rng.normal(size=n)
    return Design(X, t, y, ("x1", "x2"))


def true_binary_att(n: int = 4000, effect: float = 1.0, seed: int = 0) -> float:
    """E[p1 - p0 | T = 1] for `confounded(binary=True)` with the same seed."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    e = 1 / (1 + np.exp(-(-1.0 + 1.2 * X[:, 0] - 0.6 * X[:, 1])))
    t = rng.random(n) < e
    p0 = 1 / (1 + np.exp(-(-0.5 + X[:, 0] - X[:, 1])))
    p1 = 1 / (1 + np.exp(-(-0.5 + X[:, 0] - X[:, 1] + effect)))
    return float((p1 - p0)[t].mean())


NSW_COVARIATES = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75", "u74", "u75"]


def _weak_overlap_draw(n: int, strength: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Covariates (x1, x2, x4 normal; x3 0/1) and the true propensity of `weak_overlap`."""
    X = np.column_stack([rng.normal(size=(n, 2)), rng.random(n) < 0.4, rng.normal(size=n)]).astype(float)
    index = -2.2 - 0.35 * strength**2 + strength * (X[:, 0] + 0.5 * X[:, 1] - 0.5 * X[:, 2])
    return X, 1 / (1 + np.exp(-index))


def _weak_overlap_outcomes(X: np.ndarray, outcome: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean outcome without and with the service, for each row (see `weak_overlap`)."""
    linear = 1 + X[:, 0] + X[:, 1] + 0.5 * X[:, 2] + X[:, 3]
    if outcome == "linear":
        return linear, linear + 1 + 0.5 * X[:, 0]
    if outcome == "quadratic":
        curved = linear + 0.5 * X[:, 0] ** 2
        return curved, curved + 1 + 0.5 * X[:, 0]
    index = -1.0 + 0.8 * X[:, 0] + 0.5 * X[:, 1] - 0.5 * X[:, 2] + 0.3 * X[:, 3]
    return 1 / (1 + np.exp(-index)), 1 / (1 + np.exp(-(index + 0.8)))


def weak_overlap(n: int, strength: float, outcome: str = "linear", seed: int = 0) -> Design:
    """A design where most comparison people are unlike the participants.

    Participation: logit e = -2.2 - 0.35 s^2 + s (x1 + 0.5 x2 - 0.5 x3), s = `strength`
    (about 8-10 % participants; the larger s, the further the participants sit from the
    bulk of the comparison group, and the smaller the weighted comparison group's effective
    size). The propensity is logistic in the covariates, so entropy balancing on their means
    is consistent whatever the outcome (Zhao and Percival 2017).
    Outcomes, y0 = m0(x) + N(0, 1) and y1 = y0 + tau(x), tau(x) = 1 + 0.5 x1 (the effect
    grows with x1, so the participants' effect differs from everybody's and trimming
    participants changes the estimand):
      'linear':    m0 = 1 + x1 + x2 + 0.5 x3 + x4;
      'quadratic': m0 as 'linear' plus 0.5 x1^2 (a linear outcome model is wrong);
      'binary':    P(y = 1) = logistic(-1 + 0.8 x1 + 0.5 x2 - 0.5 x3 + 0.3 x4 + 0.8 T).
    """
    rng = np.random.default_rng(seed)
    X, e = _weak_overlap_draw(n, strength, rng)
    t = rng.random(n) < e
    m0, m1 = _weak_overlap_outcomes(X, outcome)
    if outcome == "binary":
        y = (rng.random(n) < np.where(t, m1, m0)).astype(float)
    else:
        y = np.where(t, m1, m0) + rng.normal(size=n)
    return Design(X, t, y, ("x1", "x2", "x3", "x4"))


def weak_overlap_truth(strength: float, outcome: str = "linear", draws: int = 4_000_000) -> float:
    """The population ATT of `weak_overlap`, E[m1(X) - m0(X) | T = 1], by propensity-weighted
    Monte Carlo over `draws` covariate draws (seed 12345; relative error about 1e-3 or less)."""
    X, e = _weak_overlap_draw(draws, strength, np.random.default_rng(12345))
    m0, m1 = _weak_overlap_outcomes(X, outcome)
    return float(np.average(m1 - m0, weights=e))
