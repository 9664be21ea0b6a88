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
