"""Refutation checks: ways an observational estimate can show that it should not be trusted.

None of these proves an estimate right; each can show it wrong.
  - Placebo treatment: the treatment column replaced by a random one with the same share of
    participants. A method that finds an "effect" of a random label is finding its own bias.
  - Random common cause: an independent random covariate added. A sound estimate barely
    moves (it should change by a small fraction of its standard error).
  - E-value (VanderWeele and Ding 2017): how strong an unmeasured confounder would have to
    be, associated with both participation and the outcome by this risk ratio, to explain
    the estimate away (and to move its interval to include no effect). A small E-value
    (near 1) means a weak hidden difference between participants and others would suffice.
  - Negative-control outcome: the same estimate on an outcome the service cannot have
    changed (open-market work in the 365 days before the start, `employed_before_12m` in
    the cohort). An "effect" there is imbalance the adjustment left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from polku.impact.design import is_binary
from polku.impact.results import EffectEstimate


@dataclass(frozen=True)
class Refutation:
    """One check: the new estimate beside the original, and whether it passed."""

    check: str
    original: float
    new: float | None
    ci_low: float | None
    ci_high: float | None
    passed: bool
    note: str


def _rr_e_value(rr: float) -> float:
    """E = RR + sqrt(RR (RR - 1)) for RR >= 1; a protective RR is inverted first."""
    if not np.isfinite(rr) or rr <= 0:
        return float("nan")
    rr = rr if rr >= 1 else 1 / rr
    return float(rr + np.sqrt(rr * (rr - 1)))


def e_value(result: EffectEstimate, outcome_sd: float | None = None) -> dict[str, float]:
    """E-values for the estimate and for the interval limit closest to no effect.

    Binary outcome: risk ratio p1 / p0 with p1 = participants' outcome share and p0 = p1 -
    effect. Continuous outcome (give `outcome_sd`): the standardised difference d = effect /
    SD converted with RR = exp(0.91 d) (VanderWeele and Ding 2017, approximation for
    continuous outcomes). An interval that includes no effect has E-value 1 for its limit.
    """
    if result.estimate is None or result.ci_low is None or result.ci_high is None:
        return {}
    def rr(effect: float) -> float:
        if outcome_sd:
            return float(np.exp(0.91 * effect / outcome_sd))
        p1 = result.outcome_mean_treated or 0.0
        p0 = p1 - effect
        return p1 / p0 if p0 > 0 else float("inf")
    closest = 0.0 if result.ci_low <= 0 <= result.ci_high else (result.ci_low if result.estimate > 0 else result.ci_high)
    return {"estimate": _rr_e_value(rr(result.estimate)), "ci": 1.0 if closest == 0 else _rr_e_value(rr(closest))}


def placebo_treatment(estimator: Any, X: np.ndarray, t: np.ndarray, y: np.ndarray, seed: int = 0) -> Refutation:
    """Refit with the treatment labels shuffled; passes when the interval covers zero."""
    rng = np.random.default_rng(seed)
    original = estimator.fit(X, t, y).result_
    fake = rng.permutation(np.asarray(t, dtype=bool))
    placebo = estimator.fit(X, fake, y).result_
    covers = placebo.ci_low is not None and placebo.ci_low <= 0 <= placebo.ci_high
    return Refutation("placebo_treatment", original.estimate, placebo.estimate, placebo.ci_low, placebo.ci_high, covers,
                      "a random treatment label should show no effect")


def random_common_cause(estimator: Any, X: np.ndarray, t: np.ndarray, y: np.ndarray, seed: int = 0, tolerance: float = 0.5) -> Refutation:
    """Refit with an extra independent random covariate; passes when the estimate moves by
    less than `tolerance` standard errors of the original."""
    rng = np.random.default_rng(seed)
    original = estimator.fit(X, t, y).result_
    widened = np.column_stack([X, rng.normal(size=len(y))])
    new = estimator.fit(widened, t, y).result_
    moved = abs((new.estimate or 0.0) - (original.estimate or 0.0))
    passed = original.std_error is not None and moved < tolerance * original.std_error
    return Refutation("random_common_cause", original.estimate, new.estimate, new.ci_low, new.ci_high, passed,
                      f"an irrelevant covariate should move the estimate by under {tolerance} standard errors")


def negative_control(estimator: Any, X: np.ndarray, t: np.ndarray, y_before: np.ndarray) -> Refutation:
    """Estimate on an outcome measured before the start; passes when the interval covers zero."""
    result = estimator.fit(X, t, y_before).result_
    covers = result.ci_low is not None and result.ci_low <= 0 <= result.ci_high
    return Refutation("negative_control_outcome", 0.0, result.estimate, result.ci_low, result.ci_high, covers,
                      "work before the start cannot be an effect of the service")


def outcome_sd(y: np.ndarray) -> float | None:
    """The SD to give `e_value` for a continuous outcome (None for a 0/1 outcome)."""
    return None if is_binary(y) else float(np.std(y))
