"""Inverse probability weighting (IPW) and augmented IPW (AIPW, doubly robust).

Notation: T treatment (1 = participant), Y outcome, e(x) propensity score, m_t(x) =
E[Y | T = t, X = x] the outcome model, p1 = share of participants, n units kept.

IPW, ATT (normalised, "Hajek"): comparison units weighted by w = e / (1 - e),
    theta = mean(Y | T=1) - sum_C w Y / sum_C w.
IPW, ATE (normalised): participants weighted 1/e, comparison units 1/(1 - e).

AIPW, ATT (cross-fitted, normalised), with residuals r = Y - m0(X):
    theta = mean(r | T=1) - sum_C w r / sum_C w.
Consistent when either the propensity model or the outcome model is right (Robins,
Rotnitzky and Zhao 1994; Chernozhukov et al. 2018 for cross-fitting; Moodie et al. 2018
for the ATT form).
AIPW, ATE: psi = m1 - m0 + T (Y - m1) / e - (1 - T)(Y - m0) / (1 - e), theta = mean(psi).

Standard errors come from the influence functions (IF) below: SE = sqrt(sum IF^2) / n, or
cluster-robust when `fit` is given `clusters` (one person drawn on several dates).
The nuisance models' own estimation error is ignored by the IF, which cross-fitting
justifies for AIPW; for IPW with an estimated propensity score the IF interval is
conservative for the ATE and approximate for the ATT, so `bootstrap=B` refits everything B
times for a percentile interval as a check.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polku.impact.base import Fitted, ImpactEstimator
from polku.impact.design import Design, influence_se
from polku.impact.propensity import cross_fit_outcome, cross_fit_propensity, fit_propensity, folds


def _ratio_att(
    t: np.ndarray, r: np.ndarray, w: np.ndarray, s: np.ndarray | None = None, clusters: np.ndarray | None = None
) -> tuple[float, float]:
    """theta = (weighted) mean(r | T=1) - weighted mean(r | T=0) and its IF standard error.

    `w` weights the comparison units; `s` (case weights, default 1) the participants."""
    wt = np.where(t, 1.0 if s is None else s, 0.0)
    a = float((wt * r).sum() / wt.sum())
    wc = np.where(t, 0.0, w)
    b = float((wc * r).sum() / wc.sum())
    influence = wt * (r - a) / wt.mean() - wc * (r - b) / wc.mean()
    return a - b, influence_se(influence, clusters)


def _ratio_ate(
    t: np.ndarray, y: np.ndarray, e: np.ndarray, s: np.ndarray | None = None, clusters: np.ndarray | None = None
) -> tuple[float, float]:
    s = np.ones(len(t)) if s is None else s
    w1, w0 = s * t / e, s * (~t) / (1 - e)
    mu1, mu0 = (w1 * y).sum() / w1.sum(), (w0 * y).sum() / w0.sum()
    influence = w1 * (y - mu1) / w1.mean() - w0 * (y - mu0) / w0.mean()
    return float(mu1 - mu0), influence_se(influence, clusters)


def _ate_weights(t: np.ndarray, e: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.where(t, s / e, 0.0), np.where(t, 0.0, s / (1 - e))


def _att_weights(t: np.ndarray, e: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.where(t, s, 0.0), np.where(t, 0.0, s * e / (1 - e))


class IPW(ImpactEstimator):
    """Inverse probability weighting with an in-sample logistic propensity score."""

    method = "ipw"
    label = "inverse probability weighting"

    def _scores(self, design: Design) -> np.ndarray:
        return fit_propensity(design.X, design.t, self.propensity_model, design.w)

    def _estimate(self, design: Design, scores: np.ndarray) -> Fitted:
        t, y, s = design.t, design.y, design.weights
        if self.estimand == "att":
            tw, cw = _att_weights(t, scores, s)
            estimate, se = _ratio_att(t, y, cw, s, design.clusters)
        else:
            tw, cw = _ate_weights(t, scores, s)
            estimate, se = _ratio_ate(t, y, scores, s, design.clusters)
        return Fitted(estimate, se, tw, cw)


class AIPW(ImpactEstimator):
    """Doubly robust AIPW with K-fold cross-fitting of both nuisance models."""

    method = "aipw"
    label = "doubly robust augmented IPW"
    default = True

    def __init__(self, *, n_folds: int = 5, outcome_model: Any | None = None, **settings: Any) -> None:
        super().__init__(**settings)
        self.n_folds = n_folds
        self.outcome_model = outcome_model

    def _scores(self, design: Design) -> np.ndarray:
        return cross_fit_propensity(
            design.X, design.t, folds(design.t, self.n_folds, self.random_state, design.clusters), self.propensity_model, design.w
        )

    def _estimate(self, design: Design, scores: np.ndarray) -> Fitted:
        t, y, X, s = design.t, design.y, design.X, design.weights
        splits = folds(t, self.n_folds, self.random_state + 1, design.clusters)
        is_binary = design.binary_outcome
        m0 = cross_fit_outcome(X, y, ~t, splits, is_binary, self.outcome_model, design.w)
        if self.estimand == "att":
            tw, cw = _att_weights(t, scores, s)
            estimate, se = _ratio_att(t, y - m0, cw, s, design.clusters)
            return Fitted(estimate, se, tw, cw, {"outcome_model_mean_control": float(m0[t].mean())})
        m1 = cross_fit_outcome(X, y, t, splits, is_binary, self.outcome_model, design.w)
        psi = m1 - m0 + t * (y - m1) / scores - (~t) * (y - m0) / (1 - scores)
        estimate = float((s * psi).sum() / s.sum())
        se = influence_se(s * (psi - estimate) * len(s) / s.sum(), design.clusters)
        tw, cw = _ate_weights(t, scores, s)
        return Fitted(estimate, se, tw, cw)
