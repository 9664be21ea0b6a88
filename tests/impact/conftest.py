"""Data with known answers for the impact estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from polku.impact import Design, design_from_frame


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


@pytest.fixture(scope="session")
def nsw_cps() -> pd.DataFrame:
    """Dehejia-Wahba NSW participants with the CPS-1 comparison group (causaldata).

    The experimental benchmark for the participants is 1,794 USD (Dehejia and Wahba 1999:
    treated minus randomised controls in 1978 earnings).
    """
    from causaldata import cps_mixtape, nsw_mixtape

    nsw = nsw_mixtape.load_pandas().data
    cps = cps_mixtape.load_pandas().data
    frame = pd.concat([nsw[nsw.treat == 1], cps]).reset_index(drop=True)
    frame["u74"] = (frame.re74 == 0).astype(int)
    frame["u75"] = (frame.re75 == 0).astype(int)
    for column in ("age", "educ", "re74", "re75"):
        frame[f"{column}_sq"] = frame[column] ** 2
    return frame


@pytest.fixture(scope="session")
def nsw_design(nsw_cps: pd.DataFrame) -> Design:
    squares = [f"{c}_sq" for c in ("age", "educ", "re74", "re75")]
    return design_from_frame(nsw_cps, "treat", "re78", NSW_COVARIATES + squares)


@pytest.fixture(scope="session")
def nsw_experiment() -> pd.DataFrame:
    from causaldata import nsw_mixtape

    return nsw_mixtape.load_pandas().data
