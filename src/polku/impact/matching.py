"""Nearest-neighbour propensity score matching with a caliper, and its Abadie-Imbens variance.

Each participant is matched, with replacement, to the `n_matches` (M) comparison units
closest on the logit of the propensity score. A participant whose nearest comparison unit
is farther than the caliper (default 0.2 pooled standard deviations of the logit,
sqrt((s1^2 + s0^2) / 2), Austin 2011)
is left unmatched, counted in `n_trimmed`, and the estimate is about the matched
participants. For the ATE the comparison units are matched to participants the same way.

Variance (Abadie and Imbens 2006, Econometrica 74(1), Theorem 7 and section 4): with
K(j) the number of times unit j is used as a match and sigma^2(X_j) estimated by matching j
to its nearest neighbour in its own group, sigma^2 = (Y_j - Y_l)^2 / 2,
    V(ATT) = 1/N1^2 [ sum_T (Y_i - Y_i(0)hat - theta)^2 + sum_C K(j)(K(j) - 1)/M^2 sigma_j^2 ]
    V(ATE) = 1/N^2 sum_i [ (Y_i(1)hat - Y_i(0)hat - theta)^2 + ((K(i)/M)^2 + (2M - 1) K(i)/M^2) sigma_i^2 ]
The bootstrap is not valid for matching with a fixed number of matches (Abadie and Imbens
2008), so `bootstrap` is refused here. Matching on an estimated score makes this variance
slightly conservative for the ATE (Abadie and Imbens 2016). No bias correction is applied.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.neighbors import NearestNeighbors

from polku.errors import UsageError
from polku.impact.base import Fitted, ImpactEstimator
from polku.impact.design import Design
from polku.impact.propensity import fit_propensity


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _nearest(source: np.ndarray, target: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each source value, the k nearest target positions and their distances (1-D)."""
    finder = NearestNeighbors(n_neighbors=k).fit(target[:, None])
    distance, index = finder.kneighbors(source[:, None])
    return index, distance


def _own_group_variance(score: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sigma^2(X_i) from each unit's nearest other unit of its own group (J = 1)."""
    if len(y) < 2:
        return np.zeros(len(y))
    index, _ = _nearest(score, score, 2)
    neighbour = np.where(index[:, 0] == np.arange(len(y)), index[:, 1], index[:, 0])
    return (y - y[neighbour]) ** 2 / 2.0


class _Matches:
    """Matches of one group (`from_idx`) into the other, as positions in the kept sample."""

    def __init__(self, logit: np.ndarray, from_idx: np.ndarray, into_idx: np.ndarray, m: int, caliper: float) -> None:
        index, distance = _nearest(logit[from_idx], logit[into_idx], m)
        self.matched = distance[:, 0] <= caliper
        self.partners = into_idx[index]  # (len(from_idx), m)
        self.from_idx = from_idx
        self.m = m

    def counts(self, n: int) -> np.ndarray:
        """K(j): how many times each unit is used as a match (matched rows only)."""
        return np.bincount(self.partners[self.matched].ravel(), minlength=n).astype(float)

    def imputed(self, y: np.ndarray) -> np.ndarray:
        return y[self.partners].mean(axis=1)


class Matching(ImpactEstimator):
    """Nearest-neighbour matching on the logit propensity score, with replacement."""

    method = "match"
    label = "nearest-neighbour matching"
    cluster_robust = False  # the Abadie-Imbens variance takes the rows as independent
    supports_weights = False  # the Abadie-Imbens variance counts every unit once

    def __init__(self, *, n_matches: int = 1, caliper: float = 0.2, **settings: Any) -> None:
        super().__init__(**settings)
        self.n_matches = n_matches
        self.caliper = caliper

    def _check_settings(self) -> None:
        super()._check_settings()
        if self.bootstrap:
            raise UsageError(
                "the bootstrap is not offered for matching",
                why=(
                    "it is not valid for nearest-neighbour matching (Abadie and Imbens 2008); the Abadie-Imbens variance is used."
                ),
                fix="leave out --bootstrap, or use ipw or aipw.",
            )

    def _scores(self, design: Design) -> np.ndarray:
        if design.weighted:
            raise UsageError(
                "matching does not take case weights",
                why="nearest-neighbour matching and its Abadie-Imbens variance assume every unit counts once.",
                fix="use ipw or aipw with weights (e.g. for censored comparison people).",
            )
        return fit_propensity(design.X, design.t, self.propensity_model)

    def _estimate(self, design: Design, scores: np.ndarray) -> Fitted:
        logit = _logit(scores)
        pooled_sd = float(np.sqrt((logit[design.t].var() + logit[~design.t].var()) / 2))
        width = self.caliper * pooled_sd if self.caliper > 0 else np.inf
        treated, control = np.flatnonzero(design.t), np.flatnonzero(~design.t)
        forward = _Matches(logit, treated, control, self.n_matches, width)
        if self.estimand == "att":
            return self._att(design, logit, forward)
        backward = _Matches(logit, control, treated, self.n_matches, width)
        return self._ate(design, logit, forward, backward)

    def _att(self, design: Design, logit: np.ndarray, forward: _Matches) -> Fitted:
        y, n, m = design.y, len(design.y), self.n_matches
        rows = forward.from_idx[forward.matched]
        gaps = y[rows] - forward.imputed(y)[forward.matched]
        estimate = float(gaps.mean())
        k = forward.counts(n)
        sigma2 = self._sigma2(design, logit)
        n1 = len(rows)
        variance = (((gaps - estimate) ** 2).sum() + (k * (k - 1) / m**2 * sigma2)[~design.t].sum()) / n1**2
        treated_w = np.zeros(n)
        treated_w[rows] = 1.0
        unmatched = np.zeros(n, dtype=bool)
        unmatched[forward.from_idx[~forward.matched]] = True
        return Fitted(estimate, float(np.sqrt(variance)), treated_w, k / m, {"matched_controls": int((k > 0).sum())}, unmatched)

    def _ate(self, design: Design, logit: np.ndarray, forward: _Matches, backward: _Matches) -> Fitted:
        y, n, m = design.y, len(design.y), self.n_matches
        y1, y0 = y.copy(), y.copy()
        y0[forward.from_idx] = forward.imputed(y)
        y1[backward.from_idx] = backward.imputed(y)
        unmatched = np.zeros(n, dtype=bool)
        unmatched[forward.from_idx[~forward.matched]] = True
        unmatched[backward.from_idx[~backward.matched]] = True
        keep = ~unmatched
        effects = (y1 - y0)[keep]
        estimate = float(effects.mean())
        k = forward.counts(n) + backward.counts(n)
        sigma2 = self._sigma2(design, logit)
        extra = ((k / m) ** 2 + (2 * m - 1) * k / m**2) * sigma2
        variance = (((effects - estimate) ** 2).sum() + extra[keep].sum()) / keep.sum() ** 2
        weights = (1 + k / m) * keep
        return Fitted(
            estimate, float(np.sqrt(variance)), np.where(design.t, weights, 0.0), np.where(design.t, 0.0, weights), {}, unmatched
        )

    @staticmethod
    def _sigma2(design: Design, logit: np.ndarray) -> np.ndarray:
        sigma2 = np.zeros(len(design.y))
        for group in (design.t, ~design.t):
            sigma2[group] = _own_group_variance(logit[group], design.y[group])
        return sigma2
