"""Entropy balancing: comparison weights that match the participants' covariate means exactly.

Why: when most comparison people are unlike the participants, a propensity model's
weights e/(1 - e) swing with every error in the model, and balance is whatever they give.
Entropy balancing (Hainmueller 2012) asks instead for the weights closest to the case
weights q (in Kullback-Leibler divergence) that make the weighted comparison means of the
balance features c(x) (the covariates, optionally with their squares) equal the
participants' means m. The solution has the form w_i ∝ q_i exp(lambda' c_i), where lambda
minimises the convex dual

    L(lambda) = log sum_C q_i exp(lambda' (c_i - m)),

with gradient sum_C w_i (c_i - m) (the remaining imbalance, w normalised) and Hessian
sum_C w_i (c_i - m)(c_i - m)' - g g'. Newton's method with a backtracking line search
solves it; when no weights can match the means (a participant mean outside the
comparison's range, or outside the convex hull of its rows) the dual has no minimum, and
`fit` stops with an error that says so.

The ATT is mean(Y | T = 1) - sum_C w_i Y_i. Its variance comes from the estimating
equations (M-estimation) of the participants' means, lambda and the weighted mean: the
influence function is that of the ratio estimator on the residuals r = Y - beta' c, where
beta is the weighted least-squares fit of Y on c among the comparison rows (Zhao and
Percival 2017). This accounts for estimating the weights, is cluster-robust with
`clusters`, and shows why the estimator is doubly robust: consistent when the outcome is
linear in c or the propensity score is logistic in c. The comparison rows' residuals are
divided by 1 - h (HC3, MacKinnon and White 1985; h the leverage in that weighted fit; with
clusters, a person's rows get CR3's leave-person-out residuals):
when a few rows carry the weight, their fitted residuals understate their errors and the
interval covers too rarely (the coverage with and without it: docs/methods.md, section
3.8). `bootstrap=B` adds the person bootstrap of the base class as a check.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import logsumexp

from polku.errors import UsageError, ValidationFailed
from polku.impact.base import Fitted, ImpactEstimator
from polku.impact.design import Design
from polku.impact.propensity import fit_propensity
from polku.impact.weighting import _ratio_att

TOLERANCE = 1e-8
"""Newton stops at this remaining imbalance (in units of each feature's standard deviation),
or earlier when rounding stops it from moving; above FEASIBLE the constraints are taken
to have no solution."""
FEASIBLE = 1e-6
MAX_ITERATIONS = 200


def balance_features(X: np.ndarray, moments: int, names: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """The covariates, and with `moments=2` also the squares of those that are not 0/1
    (the square of a 0/1 column is the column itself)."""
    if moments == 1:
        return X, names
    squared = [j for j in range(X.shape[1]) if not np.isin(X[:, j], (0.0, 1.0)).all()]
    return np.hstack([X, X[:, squared] ** 2]), names + tuple(f"{names[j]}^2" for j in squared)


def _reduced(features: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Features centred on the target and scaled, on an orthogonal basis without the
    directions in which every comparison row already equals the target (those constraints
    hold for any weights, and would make the Hessian singular)."""
    scale = features.std(axis=0)
    centred = (features - target) / np.where(scale > 0, scale, 1.0)
    _, singular, basis = np.linalg.svd(centred, full_matrices=False)
    keep = singular > 1e-10 * max(float(singular.max(initial=0.0)), 1e-300)
    return centred @ basis[keep].T


def _newton(Z: np.ndarray, log_q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(normalised weights, remaining imbalance) minimising the dual over Z's columns."""
    lam = np.zeros(Z.shape[1])
    loss = logsumexp(log_q)
    for _ in range(MAX_ITERATIONS):
        w = np.exp(log_q + Z @ lam - loss)
        gradient = Z.T @ w
        if np.abs(gradient).max(initial=0.0) < TOLERANCE:
            return w, gradient
        hessian = (Z * w[:, None]).T @ Z - np.outer(gradient, gradient)
        step = np.linalg.lstsq(hessian, -gradient, rcond=None)[0]
        new, loss, moved = _line_search(Z, log_q, lam, loss, step, gradient)
        if not moved or np.array_equal(new, lam):
            break
        lam = new
    w = np.exp(log_q + Z @ lam - loss)
    return w, Z.T @ w


def _line_search(
    Z: np.ndarray, log_q: np.ndarray, lam: np.ndarray, loss: float, step: np.ndarray, gradient: np.ndarray
) -> tuple[np.ndarray, float, bool]:
    """Backtracking (Armijo) along the Newton step: halve it until the dual falls enough."""
    slope = float(gradient @ step)
    size = 1.0
    for _ in range(60):
        trial = lam + size * step
        trial_loss = float(logsumexp(log_q + Z @ trial))
        if trial_loss <= loss + 1e-4 * size * slope:
            return trial, trial_loss, True
        size /= 2
    return lam, loss, False


def entropy_weights(features: np.ndarray, target: np.ndarray, base: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Weights (summing to 1) closest to `base` in KL divergence whose weighted means of
    `features` (comparison rows) equal `target`; ValidationFailed when none exist."""
    rows = _rows_that_can_carry_weight(features, target, names)
    weights = np.zeros(len(base))
    Z = _reduced(features[rows], target)
    if Z.shape[1] == 0:
        weights[rows] = base[rows] / base[rows].sum()
        return weights
    w, gap = _newton(Z, np.log(base[rows]))
    if np.abs(gap).max() >= FEASIBLE:
        raise _infeasible("the participants' covariate means lie outside what any weighting of the comparison rows can reach")
    weights[rows] = w
    return weights


def _rows_that_can_carry_weight(features: np.ndarray, target: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The comparison rows the optimal weights do not set to zero.

    A participant mean on the edge of a feature's comparison range (all participants 0 on
    an indicator, say) is met only by zero weight on every row off that edge, which the
    exponential form reaches only in the limit: those rows are left out, and the check
    repeats on the rest. A mean outside the range is infeasible, and named."""
    rows = np.ones(len(features), dtype=bool)
    while True:
        low, high = features[rows].min(axis=0), features[rows].max(axis=0)
        slack = 1e-12 * np.maximum(np.abs(low), np.abs(high)).clip(min=1.0)
        outside = [name for name, m, lo, hi, s in zip(names, target, low, high, slack) if m < lo - s or m > hi + s]
        if outside:
            raise _infeasible(f"the participants' mean of {', '.join(outside)} lies outside the comparison group's range")
        spread = high - low > slack
        at_low, at_high = spread & (target <= low + slack), spread & (target >= high - slack)
        if not (at_low | at_high).any():
            return rows
        rows &= np.all((features <= low + slack) | ~at_low, axis=1) & np.all((features >= high - slack) | ~at_high, axis=1)


class InfeasibleBalance(ValidationFailed):
    """No weights can match the participants' means: a data error for one estimate, which a
    table of many estimates (the store's cells) shows as a cell without an estimate."""


def _infeasible(what: str) -> InfeasibleBalance:
    return InfeasibleBalance(
        f"entropy balancing cannot match the participants: {what}",
        why=(
            "no weighting of the comparison group can then reproduce the participants' means; any estimate would be pure "
            "extrapolation."
        ),
        fix=(
            "leave that covariate out or merge rare categories, or use --method aipw, which trims participants without "
            "comparable people."
        ),
    )


class EntropyBalancing(ImpactEstimator):
    """Entropy balancing weights for the comparison group (ATT only); see the module docstring.

    `moments=2` also balances the squares of the covariates that are not 0/1. The in-sample
    logistic propensity score serves the overlap diagnostics and the optional trimming
    (`trim`, default 0: every participant stays, and the diagnostics say how far the
    weights must reach)."""

    method = "entropy"
    label = "entropy balancing (att only; for weak overlap)"
    estimands = ("att",)

    def __init__(self, *, moments: int = 1, trim: float = 0.0, **settings: Any) -> None:
        super().__init__(trim=trim, **settings)
        self.moments = moments

    def _check_settings(self) -> None:
        super()._check_settings()
        if self.moments not in (1, 2):
            raise UsageError(f"moments must be 1 (means) or 2 (means and squares), not {self.moments}")

    def _scores(self, design: Design) -> np.ndarray:
        return fit_propensity(design.X, design.t, self.propensity_model, design.w)

    def _estimate(self, design: Design, scores: np.ndarray) -> Fitted:
        t, y, s = design.t, design.y, design.weights
        features, names = balance_features(design.X, self.moments, design.covariates)
        target = np.average(features[t], axis=0, weights=s[t])
        control_w = np.zeros(len(y))
        control_w[~t] = entropy_weights(features[~t], target, s[~t], names) * s[~t].sum()
        fitted, basis = _outcome_fit(features, y, control_w, ~t)
        residual = y - fitted
        clusters = None if design.clusters is None else design.clusters[~t]
        residual[~t] = _jackknife_residuals(residual[~t], np.sqrt(control_w[~t]), basis, clusters)
        _, se = _ratio_att(t, residual, control_w, s, design.clusters)
        estimate = float(np.average(y[t], weights=s[t]) - np.average(y[~t], weights=control_w[~t]))
        return Fitted(estimate, se, np.where(t, s, 0.0), control_w, {"balance_features": len(names)})


def _outcome_fit(features: np.ndarray, y: np.ndarray, weights: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(beta' c for every row, U), beta the weighted least-squares fit of y on (1, c) among
    `rows`, and U an orthonormal basis of the weighted design's columns (one row per row in
    `rows`), so that the fit's hat matrix is U U'."""
    design = np.column_stack([np.ones(len(y)), features])
    root = np.sqrt(weights[rows])
    u, singular, basis = np.linalg.svd(design[rows] * root[:, None], full_matrices=False)
    keep = singular > 1e-10 * singular.max()
    beta = basis[keep].T @ ((u[:, keep].T @ (y[rows] * root)) / singular[keep])
    return design @ beta, u[:, keep]


def _jackknife_residuals(residual: np.ndarray, root: np.ndarray, U: np.ndarray, clusters: np.ndarray | None) -> np.ndarray:
    """HC3 residuals e / (1 - h), h = the row's leverage; with clusters, CR3's leave-cluster-out
    residuals for each cluster g of several rows: on the weighted scale (root = sqrt(w)),
    (I - H_gg)^-1 e~_g = e~_g + U_g (I - U_g'U_g)^-1 U_g' e~_g (Woodbury), so that one row of
    case weight k and k copies of it in one cluster get the same correction. Leverages
    (eigenvalues of U_g'U_g) are capped at 0.999: a row or person that alone fixes a
    direction would otherwise divide by zero."""
    leverage = np.minimum((U**2).sum(axis=1), 0.999)
    if clusters is None:
        return residual / (1 - leverage)
    _, group = np.unique(clusters, return_inverse=True)
    several = np.bincount(group)[group] > 1
    adjusted = residual / (1 - leverage)
    if several.any():
        _, g = np.unique(group[several], return_inverse=True)
        u, e, r = U[several], residual[several], root[several]
        inner = np.zeros((g.max() + 1, U.shape[1], U.shape[1]))
        np.add.at(inner, g, u[:, :, None] * u[:, None, :])
        projected = np.zeros((g.max() + 1, U.shape[1]))
        np.add.at(projected, g, u * (r * e)[:, None])
        values, vectors = np.linalg.eigh(inner)
        scale = 1 / (1 - np.minimum(values, 0.999))
        z = np.einsum("gij,gj,gkj,gk->gi", vectors, scale, vectors, projected)
        shift = (u * z[g]).sum(axis=1)  # on the weighted scale; a row of weight 0 has u = 0
        adjusted[several] = e + np.divide(shift, r, out=np.zeros_like(shift), where=r > 0)
    return adjusted
