"""Refutation checks: ways an observational estimate can show that it should not be trusted.

None of these proves an estimate right; each can show it wrong. As DoWhy's refuters do,
each takes the design the estimate was fitted on (with its case weights and clusters), the
estimate, and the estimator that made it; a check refits a clone of the estimator (same
settings, unfitted) on the altered design and never refits the estimate itself.
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

from dataclasses import replace

import numpy as np
from sklearn.base import clone

from polku.impact.base import Estimator
from polku.impact.design import Design, is_binary
from polku.impact.results import EffectEstimate, Refutation


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


def _covers_zero(result: EffectEstimate) -> bool:
    """Whether the result's 95 % interval exists and contains zero."""
    return result.ci_low is not None and result.ci_high is not None and result.ci_low <= 0 <= result.ci_high


def _refit(estimator: Estimator, design: Design) -> EffectEstimate:
    """A clone of `estimator` fitted on `design`, with the design's case weights and clusters."""
    return (
        clone(estimator)
        .fit(design.X, design.t, design.y, design.covariates, sample_weight=design.w, clusters=design.clusters)
        .result_
    )


def placebo_treatment(design: Design, estimate: EffectEstimate, estimator: Estimator, *, random_state: int = 0) -> Refutation:
    """The estimate again with the treatment labels shuffled; passes when the interval covers zero."""
    fake = np.random.default_rng(random_state).permutation(np.asarray(design.t, dtype=bool))
    placebo = _refit(estimator, replace(design, t=fake))
    covers = _covers_zero(placebo)
    return Refutation(
        "placebo_treatment",
        estimate.estimate,
        placebo.estimate,
        placebo.ci_low,
        placebo.ci_high,
        covers,
        "a random treatment label should show no effect",
    )


def random_common_cause(
    design: Design, estimate: EffectEstimate, estimator: Estimator, *, random_state: int = 0, tolerance: float = 0.5
) -> Refutation:
    """The estimate again with an extra independent random covariate; passes when it moves
    by less than `tolerance` standard errors of the original."""
    noise = np.random.default_rng(random_state).normal(size=len(design.y))
    widened = replace(design, X=np.column_stack([design.X, noise]), covariates=(*design.covariates, "random_common_cause"))
    new = _refit(estimator, widened)
    moved = abs((new.estimate or 0.0) - (estimate.estimate or 0.0))
    passed = estimate.std_error is not None and moved < tolerance * estimate.std_error
    return Refutation(
        "random_common_cause",
        estimate.estimate,
        new.estimate,
        new.ci_low,
        new.ci_high,
        passed,
        f"an irrelevant covariate should move the estimate by under {tolerance} standard errors",
    )


def negative_control(design: Design, estimate: EffectEstimate, estimator: Estimator, outcome_before: np.ndarray) -> Refutation:
    """The estimate again on an outcome measured before the start; passes when the interval covers zero."""
    result = _refit(estimator, replace(design, y=np.asarray(outcome_before, dtype=float)))
    covers = _covers_zero(result)
    return Refutation(
        "negative_control_outcome",
        estimate.estimate,
        result.estimate,
        result.ci_low,
        result.ci_high,
        covers,
        "work before the start cannot be an effect of the service",
    )


def outcome_sd(y: np.ndarray) -> float | None:
    """The SD to give `e_value` for a continuous outcome (None for a 0/1 outcome)."""
    return None if is_binary(y) else float(np.std(y))
