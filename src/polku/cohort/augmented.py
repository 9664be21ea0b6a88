"""Doubly robust correction for comparison people who start a service later.

`polku.cohort.censoring` censors a comparison person at a later service start and weights
the others by 1 / K, K the modelled chance of staying unreferred until the outcome is
settled. That rests on the referral (censoring) model alone. In the synthetic area the
total referral hazard is a sum of service hazards that rise and fall with employability
in opposite directions (coaching takes the most employable, rehabilitative work the least),
which a pooled logistic model cannot follow at the ends: coaching's most employable
comparison people got weights summing to 0.59 of their number, and with the weights alone
the effect in that group came out 3.5 points low (docs/methods.md section 7).

The augmented inverse probability of censoring weighted (AIPCW) outcome adds a second
model, of the hazard of finding work while unreferred, and is unbiased for the
never-served outcome when *either* model is right (Robins and Rotnitzky 1992; Tsiatis,
*Semiparametric Theory and Missing Data*, 2006, ch. 9-10; Rubin and van der Laan 2007 for
its use as a pseudo-outcome). For a comparison person settled at U (first work, the
window's end W, or censoring), with censoring indicator 1 - D:

    Y* = D Y / K(U) + (1 - D) Q(U) / K(U) - integral_0^U Q(u) / K(u) dLambda_C(u)

where K(u) = exp(-Lambda_C(u)) is the chance of staying unreferred until u, and
Q(u) = 1 - exp(-(Lambda_J(W) - Lambda_J(u))) the chance of work by W for a person still
without work and unreferred at u. Both hazards are piecewise constant by month: each is a
piecewise-exponential model of events per month at risk, fitted with the Poisson
likelihood on the person-months (the settling month counts by the share of it at risk),
with the same features as the censoring weights' model (the covariates, the month,
registration at the month's start, the labour-market and eligibility terms updated month by
month). The job hazard is log-linear (a Poisson regression). The referral hazard is
boosted trees with the Poisson loss (`default_censoring_model`): over 30 synthetic areas a
log-linear referral model left coaching's most employable group 2.9 points low (Monte
Carlo SE 0.7), the boosted one 1.3 (0.9); no other cell of coaching, training, IPS and
rehabilitative work with 500 or more participants moved by more than 0.4 point, and
training's "high" group (under 500) went from -1.6 to -0.5. Boosting the job model as well
helped coaching's "high" group but pushed IPS and rehabilitative work down by about 0.8
point, so it was not kept. The closed
form below integrates exactly these fitted rates; with C the cumulative censoring hazard at
the month's start, R the job hazard from the month's start to W and a the time of the month
at risk,

    integral over the month = e^C [ (e^(r_C a) - 1) - r_C e^(-R) (e^((r_C + r_J) a) - 1) / (r_C + r_J) ].

Participants keep their observed outcome; every comparison row, censored or not, enters
the estimate with weight 1 and the pseudo-outcome Y*, whose mean given the covariates is
the never-served chance of work. With no referral hazard Y* = Y; with no job hazard and no
work Y* = 0. 1 / K is capped by the weights' truncation rule (`polku.cohort.censoring.truncate`:
the 99th percentile of the positive weights): the cumulative censoring hazard stops at the
log of the cap, so Y* stays the augmented outcome of a bounded censoring model.

The job model's months after settling (after a censored person's service start) take a
person registered when the settling month began as still registered, and the spell clock
as still running: registration after settling is an outcome, not a covariate.

Only the outcome settled by the first day of open-market work, `employed_<W>m`, has this
form; the other outcomes keep the censoring weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import PoissonRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from polku.cohort.build import DAYS_PER_MONTH, window_days
from polku.cohort.censoring import PersonMonths, clock_of, settling, truncation_cap

MIN_EXPOSURE = 0.5 / DAYS_PER_MONTH
"""Exposure of a month settled on its first day (half a day): an event needs some time at risk."""


def default_job_model() -> Any:
    """Piecewise-exponential model of the job hazard: Poisson regression of events per month
    at risk, a practically unpenalised log-linear rate."""
    return make_pipeline(StandardScaler(), PoissonRegressor(alpha=1e-8, max_iter=1000))


def default_censoring_model() -> Any:
    """Piecewise-exponential model of the referral hazard, boosted: the total referral hazard
    is a sum of service hazards pointing at opposite ends of employability, a shape no
    log-linear rate follows (see the module docstring for what was measured). Up to 100
    rounds: early stopping (on above 10,000 person-months) holds out a random 10 % of them,
    reproducibly (`random_state`)."""
    return HistGradientBoostingRegressor(loss="poisson", max_iter=100, learning_rate=0.1, min_samples_leaf=200, random_state=0)


def augmented_outcome(
    frame: pd.DataFrame,
    X: np.ndarray,
    months: int,
    *,
    censoring_model: Any | None = None,
    job_model: Any | None = None,
) -> np.ndarray:
    """Open-market work within `months` for every row: the observed 0/1 for participants,
    the pseudo-outcome Y* of the module docstring for comparison rows.

    `X` is the estimators' design matrix of `frame`'s rows; the models (scikit-learn
    regressors of events per unit of exposure, fitted with the exposure as case weight;
    defaults `default_censoring_model` and `default_job_model`) give the monthly rates of a
    service start and of a first day of work."""
    s = settling(frame, months)
    y = s.job_first.astype(float)
    controls = np.flatnonzero(~s.treated)
    if len(controls) == 0:
        return y
    at_risk, share = s.months_at_risk[controls], s.last_share[controls]
    # a person registered when the settling month began is taken as registered after it (the
    # spell often closes the day before the first job or the service start: what happens
    # after settling must not feed the months predicted for it)
    spell_end = s.spell_end[controls]
    spell_end = np.where(spell_end >= (at_risk - 1) * DAYS_PER_MONTH, np.inf, spell_end)
    width = int(np.ceil(window_days(months) / DAYS_PER_MONTH))  # months the window touches
    expanded = PersonMonths(X[controls], np.full(len(controls), width), spell_end, clock_of(frame.iloc[controls]))
    fit = expanded.fit_persons()
    features, owner, month = expanded.build(fit)
    owner = fit[owner]  # persons of the whole comparison group
    seen = month < at_risk[owner]
    settling_month = month == at_risk[owner] - 1
    exposure = np.where(settling_month, np.maximum(share[owner], MIN_EXPOSURE), 1.0)[seen]
    models = [
        _rate_model(features[seen], (settling_month & event[controls][owner])[seen], exposure, chosen)
        for event, chosen in (
            (s.censored, default_censoring_model() if censoring_model is None else censoring_model),
            (s.job_first, default_job_model() if job_model is None else job_model),
        )
    ]
    del features
    rate_c, rate_j = (np.empty((len(controls), width)) for _ in models)
    for persons, chunk in expanded.chunks():
        rate_c[persons], rate_j[persons] = (rate(chunk).reshape(-1, width) for rate in models)
    in_window = np.clip(window_days(months) / DAYS_PER_MONTH - np.arange(width), 0.0, 1.0)
    limit = _inverse_k_limit(int(s.treated.sum()), rate_c, at_risk, share, s.censored[controls])
    y[controls] = pseudo_outcome(rate_c, rate_j, in_window, at_risk, share, s.censored[controls], y[controls], limit)
    return y


def _rate_model(features: np.ndarray, event: np.ndarray, exposure: np.ndarray, model: Any) -> Callable[[np.ndarray], np.ndarray]:
    """Events per month at any person-months, from `model` fitted on events per unit of
    exposure (a Poisson likelihood with the exposure as case weight equals one with
    log-exposure as offset); the pooled rate when no month or every month ends in the event."""
    if not event.any():
        return lambda at: np.zeros(len(at))
    if event.all():
        pooled = event.sum() / exposure.sum()
        return lambda at: np.full(len(at), pooled)
    model = clone(model)
    last = model.steps[-1][0] if hasattr(model, "steps") else None
    weight = {f"{last}__sample_weight" if last else "sample_weight": exposure}
    model.fit(features, event / exposure, **weight)
    return lambda at: np.maximum(model.predict(at), 0.0)


def _inverse_k_limit(n_treated: int, rate_c: np.ndarray, at_risk: np.ndarray, share: np.ndarray, censored: np.ndarray) -> float:
    """The cap of 1/K: `polku.cohort.censoring.truncate`'s rule, the 99th percentile of the
    positive case weights the weights alone would give (participants' 1s and the
    uncensored comparison rows' 1/K)."""
    inverse_k = np.exp((rate_c * _exposure(rate_c.shape[1], at_risk, share)).sum(axis=1))
    return truncation_cap(np.r_[np.ones(n_treated), inverse_k[~censored]])


def _exposure(width: int, at_risk: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Each person's share of each month at risk (1, then the settling month's share, then 0)."""
    k = np.arange(width)[None, :]
    last = (at_risk - 1)[:, None]
    return np.where(k < last, 1.0, np.where(k == last, share[:, None], 0.0))


def pseudo_outcome(
    rate_c: np.ndarray,
    rate_j: np.ndarray,
    in_window: np.ndarray,
    at_risk: np.ndarray,
    share: np.ndarray,
    censored: np.ndarray,
    observed: np.ndarray,
    limit: float = np.inf,
) -> np.ndarray:
    """Y* of the module docstring from the persons' monthly rates (persons x months) of a
    service start (`rate_c`) and of a first day of work (`rate_j`), the share of each
    month inside the window (`in_window`) and the cap `limit` of 1/K.

    The cap truncates the cumulative censoring hazard at log(limit): past it the censoring
    rate is 0, so Y* stays the augmented outcome of a (bounded) censoring model and keeps the
    job model's half of the double robustness."""
    exposure = _exposure(rate_c.shape[1], at_risk, share)
    cumulative = np.cumsum(rate_c * exposure, axis=1)
    ceiling = np.log(limit)
    start = np.minimum(cumulative - rate_c * exposure, ceiling)  # C at each month's start, capped
    end = np.minimum(cumulative, ceiling)
    active = np.where(rate_c > 0, (end - start) / np.where(rate_c > 0, rate_c, 1.0), exposure)  # time the censoring rate runs
    to_end = np.cumsum((rate_j * in_window)[:, ::-1], axis=1)[:, ::-1]  # job hazard from each month's start to W
    both = rate_c + rate_j
    ramp = np.where(both > 1e-12, np.expm1(both * active) / np.where(both > 1e-12, both, 1.0), active)
    compensator = (np.exp(start) * (np.expm1(rate_c * active) - rate_c * np.exp(-to_end) * ramp)).sum(axis=1)
    inverse_k = np.exp(end[:, -1])
    rows, month = np.arange(len(at_risk)), at_risk - 1
    q = -np.expm1(-to_end[rows, month] + rate_j[rows, month] * share)  # chance of work by W from U
    return np.where(censored, q, observed) * inverse_k - compensator
