"""The default nuisance models and how case weights reach them.

Logistic regression on standardised covariates with a very weak penalty (C = 1e6:
practically maximum likelihood, but still defined when a covariate separates the groups)
for binary outcomes and the propensity score, least squares for continuous outcomes.
`polku.impact.fast_fits` fits the same models faster when they are cross-fitted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

PENALTY_C = 1e6
"""Inverse penalty of the default logistic models (practically maximum likelihood)."""


def default_propensity_model() -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(C=PENALTY_C, max_iter=5000))


def default_outcome_model(binary: bool) -> Any:
    if binary:
        return default_propensity_model()
    return make_pipeline(StandardScaler(), LinearRegression())


def with_intercept_only(X: np.ndarray) -> np.ndarray:
    """A design without covariates still needs one column for scikit-learn."""
    return X if X.shape[1] else np.zeros((len(X), 1))


def fit_weighted(model: Any, X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> Any:
    """`model.fit(X, y)` with case weights routed to a pipeline's last step when given."""
    if w is None or np.all(w == 1.0):
        return model.fit(X, y)
    if isinstance(model, Pipeline):
        return model.fit(X, y, **{f"{model.steps[-1][0]}__sample_weight": w})
    return model.fit(X, y, sample_weight=w)
