"""Propensity scores, cross-fitting and the trimming rule shared by every estimator.

The propensity score e(x) = P(T = 1 | X = x) is estimated by logistic regression on
standardised covariates with a very weak penalty (C = 1e6: practically maximum likelihood,
but still defined when a covariate separates the groups). Other scikit-learn classifiers
can be passed in.

Cross-fitting (Chernozhukov et al. 2018): the sample is split into K folds, and each
unit's nuisance predictions come from models fitted on the other folds, so that
flexible models do not overfit their own residuals into the estimate.

Speed: the default models of cross-fitting are fitted in numpy (`polku.impact.fast_fits`).

Trimming rule (explicit, documented in docs/methods.md): with `alpha` (default 0.01),
  - ATT: units with e(x) > 1 - alpha are dropped. Only a large e(x) hurts the ATT: a
    comparison unit's weight is e/(1 - e), and a participant with e near 1 has no
    comparable non-participant.
  - ATE: units outside [alpha, 1 - alpha] are dropped (Crump, Hotz, Imbens and Mitnik
    2009, who suggest alpha = 0.1 as a rule of thumb).
Every dropped unit is counted in `n_trimmed`, and the estimand is then the effect among
the units kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from polku.errors import UsageError
from polku.impact.fast_fits import cross_fit_linear, cross_fit_logistic, one_blas_thread
from polku.impact.models import default_outcome_model, default_propensity_model, fit_weighted, with_intercept_only

__all__ = [
    "CLIP",
    "cross_fit_outcome",
    "cross_fit_propensity",
    "default_outcome_model",
    "default_propensity_model",
    "fit_propensity",
    "fit_weighted",
    "fitted_on",
    "folds",
    "trimming_mask",
]

CLIP = 1e-6
"""Propensities are kept inside [CLIP, 1 - CLIP] so that no weight is infinite."""

FIT_ROWS = 250_000
"""Rows above which the nuisance models (propensity, outcome, and `fit_propensity`'s, such
as the measurement model of the effects on change) learn from a fixed random subset of at
most this many rows, each cross-fitted fold from the subset's rows outside it, while every
row still gets its prediction and enters the estimate. Below it (every cohort of an area up
to about 300,000 clients) all rows are used, as before. A logistic model of some 80
covariates is as good on 250,000 rows as on a million; at 1,000,000 clients the cross-fits
took 110 s of coaching's 518 s of estimates (docs/scale.md)."""


def fitted_on(n: int, fit_rows: np.ndarray | None = None) -> np.ndarray | None:
    """`fit_rows` (None: all `n` rows), limited to a fixed random subset of `FIT_ROWS` rows
    when it holds more (the same rows for the same data)."""
    count = n if fit_rows is None else int(fit_rows.sum())
    if count <= FIT_ROWS:
        return fit_rows
    rows = np.arange(n) if fit_rows is None else np.flatnonzero(fit_rows)
    subset = np.zeros(n, dtype=bool)
    subset[np.random.default_rng(0).permutation(rows)[:FIT_ROWS]] = True
    return subset


def fit_propensity(X: np.ndarray, t: np.ndarray, model: Any | None = None, w: np.ndarray | None = None) -> np.ndarray:
    """In-sample propensity scores (the classic choice for weighting and matching), from a
    model fitted on at most `FIT_ROWS` rows (`fitted_on`)."""
    subset = fitted_on(len(t))
    rows = slice(None) if subset is None else subset
    chosen = clone(model if model is not None else default_propensity_model())
    fitted = fit_weighted(chosen, with_intercept_only(X)[rows], t[rows], None if w is None else w[rows])
    return np.clip(fitted.predict_proba(with_intercept_only(X))[:, 1], CLIP, 1 - CLIP)


def folds(t: np.ndarray, n_folds: int, seed: int, clusters: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test index pairs, stratified by treatment so that every fold has both groups.

    With `clusters` (person ids), all rows of one person fall in the same fold: a person
    drawn on several dates has nearly the same outcome on each, and cross-fitting only
    keeps a row's own outcome out of its nuisance models if those rows go together.
    Persons with a participant row are dealt to the folds first, round-robin in random
    order, then the others, so each fold gets its share of both (which needs at least
    `n_folds` persons of each kind). The deal follows the sorted order of the labels, so
    the same ids must be passed as the same type (the store passes strings).
    """
    if clusters is None:
        splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(len(t)), t))
    _, person = np.unique(clusters, return_inverse=True)
    participant = np.bincount(person, weights=t.astype(float)) > 0
    if min(participant.sum(), (~participant).sum()) < n_folds:
        raise UsageError(
            f"{n_folds} folds by person need at least {n_folds} persons with a participant row and {n_folds} without",
            fix="use fewer folds or more data.",
        )
    deal = np.lexsort((np.random.default_rng(seed).random(len(participant)), ~participant))
    fold_of_person = np.empty(len(participant), dtype=np.int64)
    fold_of_person[deal] = np.arange(len(participant)) % n_folds
    fold = fold_of_person[person]
    return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(n_folds)]


def cross_fit_propensity(
    X: np.ndarray,
    t: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    model: Any | None = None,
    w: np.ndarray | None = None,
) -> np.ndarray:
    """Out-of-fold propensity scores (models fitted on at most `FIT_ROWS` rows, `fitted_on`)."""
    subset = fitted_on(len(t))
    if model is None:
        with one_blas_thread():
            return np.clip(cross_fit_logistic(X, np.asarray(t, dtype=float), subset, splits, w), CLIP, 1 - CLIP)
    X = with_intercept_only(X)
    scores = np.empty(len(t))
    for train, test in splits:
        rows = train if subset is None else train[subset[train]]
        fitted = fit_weighted(clone(model), X[rows], t[rows], None if w is None else w[rows])
        scores[test] = fitted.predict_proba(X[test])[:, 1]
    return np.clip(scores, CLIP, 1 - CLIP)


def _predict(model: Any, X: np.ndarray, binary: bool) -> np.ndarray:
    return model.predict_proba(X)[:, 1] if binary else model.predict(X)


def cross_fit_outcome(
    X: np.ndarray,
    y: np.ndarray,
    fit_rows: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    binary: bool,
    model: Any | None = None,
    w: np.ndarray | None = None,
) -> np.ndarray:
    """Out-of-fold predictions of E[Y | X] fitted on the rows in `fit_rows` (one group).

    A fold whose training part holds only one outcome value (possible for a rare binary
    outcome) predicts that value's share. At most `FIT_ROWS` of `fit_rows` are learnt from
    (`fitted_on`).
    """
    limited = fitted_on(len(y), fit_rows)
    fit_rows = fit_rows if limited is None else limited
    if model is None:
        with one_blas_thread():
            return cross_fit_logistic(X, y, fit_rows, splits, w) if binary else cross_fit_linear(X, y, fit_rows, splits, w)
    X = with_intercept_only(X)
    predictions = np.empty(len(y))
    for train, test in splits:
        rows = train[fit_rows[train]]
        if binary and len(np.unique(y[rows])) < 2:
            predictions[test] = y[rows].mean() if len(rows) else 0.0
            continue
        fitted = fit_weighted(clone(model), X[rows], y[rows], None if w is None else w[rows])
        predictions[test] = _predict(fitted, X[test], binary)
    return predictions


def trimming_mask(scores: np.ndarray, estimand: str, alpha: float) -> np.ndarray:
    """True for the units kept under the rule in the module docstring."""
    if alpha <= 0:
        return np.ones(len(scores), dtype=bool)
    if estimand == "att":
        return scores <= 1 - alpha
    return (scores >= alpha) & (scores <= 1 - alpha)
