"""Cross-fitted default nuisance models in numpy: the same objective as the scikit-learn
pipelines of `polku.impact.models`, reached faster.

When no model is passed in, the cross-fitted default models of AIPW are fitted in
numpy to the same objective as the scikit-learn pipelines, not by scikit-learn (about
seven times faster on 1,000,000 rows; benchmarks/impact.py). The logistic models by
Newton's method (`_logistic_newton`): penalty 1/(2C) on the coefficients of the covariates
as each training fold's StandardScaler scales them, C = 1e6; the first fold started from
a fit on a subsample, the others from the previous fold's fit; the rows copied once in
fold order so that no fold needs a copy of its own; passes over the rows in cache-sized
chunks; BLAS on one thread. The linear model by least squares from per-fold sums of
squares and cross-products (each training fold's are the total minus the fold's own).
Newton's method reaches the optimum itself (tests/impact/test_external_agreement.py pins
the predictions to scikit-learn's solved to a tolerance of 1e-12), where the L-BFGS solver
of the pipelines stops at a gradient tolerance of 1e-4; estimates differ from those of
the pipelines by what that tolerance leaves open. A logistic fit that does not converge,
or a least-squares system that is nearly singular, falls back to the scikit-learn model.
`polku.impact.propensity.fit_propensity` (in-sample, for IPW and matching) still uses the pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.special import expit
from threadpoolctl import ThreadpoolController

from polku.impact.models import PENALTY_C, default_outcome_model, default_propensity_model, fit_weighted, with_intercept_only

NEWTON_MAX_ITER = 100
NEWTON_TOL = 1e-5
"""Newton's method stops after a step in which no coefficient (on the standardised scale)
moved by more than NEWTON_TOL times max(1, largest coefficient). Its convergence is
quadratic, so the error left is of the order of that step squared: one more step moved
the coefficients by 1e-11 or less in the benchmark runs."""

WARM_START_ROWS = 50_000
"""The first fold's fit starts from a fit on every k-th training row, k chosen to leave
about this many (when there are more than twice as many), so that the full-size Newton
steps start close to the optimum; the other folds start from the previous fold's fit."""

SAFE_STEP = 1.0
"""A Newton step of the logistic fit that moves no unit's log-odds by more than this is taken
without checking the objective (see `_logistic_newton`)."""

CHUNK_CELLS = 131_072
"""The logistic fit passes over its rows in chunks of this many matrix cells (rows x
coefficients); see `_chunks`."""

MAX_CONDITION = 1e10
"""Largest condition number of a fold's scaled cross-product matrix solved directly; above
it the least-squares fit falls back to scikit-learn's LinearRegression (SVD of the data)."""


def _standardised(X: np.ndarray) -> np.ndarray:
    """The (1 + p) x n matrix of Newton's method and least squares: a row of ones, then each
    covariate centred and scaled over all rows (one row per covariate, so that the products
    over units run along contiguous memory). Fitted coefficients refer to this scale."""
    Z = np.empty((X.shape[1] + 1, len(X)))
    Z[0] = 1.0
    if X.shape[1]:
        Z[1:] = X.T
        Z[1:] -= Z[1:].mean(axis=1, keepdims=True)
        scale = np.sqrt(np.einsum("ij,ij->i", Z[1:], Z[1:]) / len(X))
        scale[scale == 0] = 1.0
        Z[1:] /= scale[:, None]
    return Z


def _linear(beta: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """beta'z for every unit (column of Z)."""
    return beta @ Z


@cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def one_blas_thread() -> Any:
    """A context in which BLAS uses one thread. The fast fits' matrix products are (1 + p) x
    (a few ten thousand rows): too small to gain from threads, and on the 2-core machine
    under load a multi-threaded BLAS made them up to ten times slower (NSW/CPS: 0.53 s
    against 0.05 s for five propensity fits)."""
    return _blas().limit(limits=1, user_api="blas")


def _varying(sums: np.ndarray, squares: np.ndarray, count: float) -> tuple[np.ndarray, np.ndarray]:
    """Variances (divisor n) of the standardised covariates over a fold's training rows, from
    their sums and sums of squares, and which covariates vary there at all. A covariate
    constant in the training rows is zero after StandardScaler's centring, so its
    coefficient is 0; it is left out of the fit. (On the standardised scale a varying
    covariate's variance is far above the rounding error of these sums, 1e-9 here.)"""
    mean = sums / count
    var = np.maximum(squares / count - mean**2, 0.0)
    return var, var > 1e-9 * (1.0 + mean**2)


Part = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]
"""Rows of one fit: Z ((1 + p) x m, first row ones), outcome (m), case weights (m) or None."""


def _logistic_newton(parts: list[Part], penalty: np.ndarray, start: np.ndarray, reach: np.ndarray) -> np.ndarray | None:
    """Coefficients minimising sum_i w_i [log(1 + exp(b'z_i)) - y_i b'z_i] + sum_j penalty_j b_j^2 / 2
    over the rows of all `parts` (y in {0, 1}) by Newton's method; None when it does not converge.

    The first coefficient (the row of ones) is unpenalised: penalty[0] = 0. `reach` bounds
    |z_ij| for each row j. A step d is taken whole when it moves no unit's log-odds by more
    than SAFE_STEP (sum_j |d_j| reach_j <= 1): the logistic loss has |third derivative| <=
    second derivative, so then the objective falls by at least a quarter of the Newton
    decrement (Bach 2010, "Self-concordant analysis for logistic regression"), and no
    objective needs computing. A longer step is halved until the objective does not increase."""
    beta = start.copy()
    loss = None  # the objective at beta, computed only when a long step must be checked
    for _ in range(NEWTON_MAX_ITER):
        gradient, hessian = _logistic_derivatives(parts, beta)
        gradient += penalty * beta
        hessian[np.diag_indices_from(hessian)] += penalty
        try:
            step = cho_solve(cho_factor(hessian), gradient)
        except (LinAlgError, ValueError):
            return None
        if not np.all(np.isfinite(step)):
            return None
        converged = np.abs(step).max() <= NEWTON_TOL * max(1.0, np.abs(beta).max())
        if float(np.abs(step) @ reach) <= SAFE_STEP:
            beta = beta - step
            loss = None
            if converged:
                return beta
            continue
        if loss is None:
            loss = _logistic_loss(parts, beta, penalty)
        for halvings in range(60):  # noqa: B007 (read after the loop) halve the step until the objective does not increase
            candidate = beta - step
            candidate_loss = _logistic_loss(parts, candidate, penalty)
            if candidate_loss <= loss + 1e-12 * abs(loss):
                break
            step = step / 2
        else:
            return None
        beta, loss = candidate, candidate_loss
        if converged and halvings == 0:
            return beta
    return None


def _chunks(parts: list[Part], width: int) -> Iterator[Part]:
    """(Z, y, w) of at most CHUNK_CELLS / width rows at a time, so that the arrays of one
    pass stay in the processor's cache (2-3 times faster than whole-array passes)."""
    size = max(1024, CHUNK_CELLS // width)
    for Z, y, w in parts:
        for lo in range(0, len(y), size):
            hi = lo + size
            yield Z[:, lo:hi], y[lo:hi], None if w is None else w[lo:hi]


def _logistic_derivatives(parts: list[Part], beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of the unpenalised negative log-likelihood at `beta`, in one pass."""
    gradient = np.zeros(len(beta))
    hessian = np.zeros((len(beta), len(beta)))
    for Z, y, w in _chunks(parts, len(beta)):
        mu = expit(_linear(beta, Z))
        curvature = mu * (1.0 - mu)
        mu -= y
        if w is not None:
            mu *= w
            curvature *= w
        gradient += Z @ mu
        hessian += (Z * curvature) @ Z.T
    return gradient, hessian


def _logistic_loss(parts: list[Part], beta: np.ndarray, penalty: np.ndarray) -> float:
    """The penalised negative log-likelihood at `beta`."""
    total = 0.5 * float(penalty @ beta**2)
    for Z, y, w in _chunks(parts, len(beta)):
        eta = _linear(beta, Z)
        pointwise = np.logaddexp(0.0, eta)
        pointwise -= y * eta
        total += float(pointwise.sum() if w is None else pointwise @ w)
    return total


def _first_start(parts: list[Part], penalty: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Where Newton's method starts without a previous fold: the log-odds of the outcome's
    share, refined by a fit on every k-th row when there are many rows."""
    rows = sum(len(y) for _, y, _ in parts)
    hits = sum(float(y.sum() if w is None else w @ y) for _, y, w in parts)
    total = sum(float(len(y) if w is None else w.sum()) for _, y, w in parts)
    share = float(np.clip(hits / total, 1e-3, 1 - 1e-3))
    start = np.zeros(len(penalty))
    start[0] = np.log(share / (1 - share))
    every = rows // WARM_START_ROWS
    if every >= 2:
        sample = [(np.ascontiguousarray(Z[:, ::every]), y[::every], None if w is None else w[::every]) for Z, y, w in parts]
        fitted = _logistic_newton(sample, penalty / every, start, reach)
        if fitted is not None:
            return fitted
    return start


def _fold_order(fit_rows: np.ndarray | None, splits: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The rows to fit on (those in `fit_rows`, all when None), fold after fold, and where
    each fold's block starts and ends. Copied once in this order, each fold's training rows
    are the two contiguous blocks around its own, so no fold needs a copy of its own."""
    blocks = [test if fit_rows is None else test[fit_rows[test]] for _, test in splits]
    return np.concatenate(blocks), np.cumsum([0] + [len(block) for block in blocks])


def _around(edges: np.ndarray, k: int, *arrays: np.ndarray | None) -> list[tuple[Any, ...]]:
    """Fold k's training rows of `arrays` (last axis): the blocks before and after its own."""
    a, b, end = edges[k], edges[k + 1], edges[-1]
    return [tuple(None if x is None else x[..., lo:hi] for x in arrays) for lo, hi in ((0, a), (b, end)) if hi > lo]


def _block_moments(Zs: np.ndarray, edges: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per fold block: sums and sums of squares of the standardised covariates (unweighted,
    as StandardScaler computes them)."""
    spans = list(zip(edges[:-1], edges[1:]))
    return [Zs[1:, a:b].sum(axis=1) for a, b in spans], [np.einsum("ij,ij->i", Zs[1:, a:b], Zs[1:, a:b]) for a, b in spans]


def cross_fit_logistic(
    X: np.ndarray, y: np.ndarray, fit_rows: np.ndarray | None, splits: list[tuple[np.ndarray, np.ndarray]], w: np.ndarray | None
) -> np.ndarray:
    """Out-of-fold P(y = 1 | X) of the default logistic model (see the module docstring),
    fitted on the training rows that are also in `fit_rows` (all when None). A training part
    with one outcome value only predicts that value's share."""
    Z = _standardised(X)
    reach = np.abs(Z).max(axis=1)  # over all rows, so also a bound for every fold's rows
    order, edges = _fold_order(fit_rows, splits)
    Zs, ys, ws = Z[:, order], y[order], None if w is None else w[order]
    sums, squares = _block_moments(Zs, edges)
    predictions = np.empty(len(y))
    start = None
    for k, (train, test) in enumerate(splits):
        count = len(order) - (edges[k + 1] - edges[k])
        outcomes = np.concatenate([part[0] for part in _around(edges, k, ys)]) if count else ys[:0]
        if not count or outcomes.min() == outcomes.max():
            predictions[test] = outcomes.mean() if count else 0.0
            continue
        var, varying = _varying(sum(sums) - sums[k], sum(squares) - squares[k], count)
        used = np.concatenate([[True], varying])
        penalty = np.concatenate([[0.0], var[varying] / PENALTY_C])  # 1/(2C) on StandardScaler's coefficients
        parts = _around(edges, k, Zs if used.all() else Zs[used], ys, ws)
        first = _first_start(parts, penalty, reach[used]) if start is None else start[used]
        fitted = _logistic_newton(parts, penalty, first, reach[used])
        if fitted is None:  # fall back to scikit-learn's solver
            rows = train if fit_rows is None else train[fit_rows[train]]
            model = fit_weighted(
                default_propensity_model(), with_intercept_only(X)[rows], y[rows], None if w is None else w[rows]
            )
            predictions[test] = model.predict_proba(with_intercept_only(X)[test])[:, 1]
            start = None
            continue
        beta = np.zeros(len(Z))
        beta[used] = fitted
        predictions[test] = expit(_linear(beta, Z[:, test]))
        start = beta
    return predictions


def cross_fit_linear(
    X: np.ndarray, y: np.ndarray, fit_rows: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]], w: np.ndarray | None
) -> np.ndarray:
    """Out-of-fold predictions of the default linear model (StandardScaler + LinearRegression)
    fitted on the training rows in `fit_rows`, from per-fold sums of cross-products.

    The normal equations are those of LinearRegression: covariates centred at their
    (weighted) means and scaled as the fold's StandardScaler scales them; a covariate
    constant in the training rows gets coefficient 0, as in LinearRegression's minimum-norm
    solution. A fold whose system is nearly singular (condition number above MAX_CONDITION)
    is fitted by LinearRegression itself."""
    if not fit_rows.any():
        raise ValueError("no rows to fit the outcome model on")
    Z = _standardised(X)
    p = len(Z) - 1
    centre, spread = float(y[fit_rows].mean()), float(y[fit_rows].std()) or 1.0
    order, edges = _fold_order(fit_rows, splits)
    Zs, ws = Z[:, order], None if w is None else w[order]
    ys = (y[order] - centre) / spread  # all sums on an O(1) scale, for precision
    sums, squares = _block_moments(Zs, edges)
    cross, with_y = [], []  # per block: weighted sums of z z' and of z y (z with its leading 1)
    for a, b in zip(edges[:-1], edges[1:]):
        zz, zy = np.zeros((p + 1, p + 1)), np.zeros(p + 1)
        for Zc, yc, wc in _chunks([(Zs[:, a:b], ys[a:b], None if ws is None else ws[a:b])], p + 1):
            weighted = Zc if wc is None else Zc * wc
            zz += weighted @ Zc.T
            zy += weighted @ yc
        cross.append(zz)
        with_y.append(zy)
    predictions = np.empty(len(y))
    for k, (train, test) in enumerate(splits):
        count = len(order) - (edges[k + 1] - edges[k])
        if count == 0:
            raise ValueError("a training fold holds no rows of the group")
        zz, zy = sum(cross) - cross[k], sum(with_y) - with_y[k]  # the training rows'
        weight = zz[0, 0]
        mean, mean_y = zz[0, 1:] / weight, zy[0] / weight
        var, varying = _varying(sum(sums) - sums[k], sum(squares) - squares[k], count)
        scale = np.sqrt(var[varying])
        system = (zz[1:, 1:] - weight * np.outer(mean, mean))[np.ix_(varying, varying)] / np.outer(scale, scale)
        right = (zy[1:] - weight * mean * mean_y)[varying] / scale
        slopes = np.zeros(p)
        if varying.any():
            if np.linalg.cond(system) > MAX_CONDITION:
                rows = train[fit_rows[train]]
                model = fit_weighted(
                    default_outcome_model(False), with_intercept_only(X)[rows], y[rows], None if w is None else w[rows]
                )
                predictions[test] = model.predict(with_intercept_only(X)[test])
                continue
            slopes[varying] = np.linalg.solve(system, right) / scale
        predictions[test] = centre + spread * (mean_y + _linear(slopes, Z[1:, test] - mean[:, None]))
    return predictions
