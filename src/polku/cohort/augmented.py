"""Doubly robust correction for comparison people who start a service later.

`polku.cohort.censoring` censors a comparison person at a later service start and weights
the others by 1 / K, K the modelled chance of staying unreferred until the outcome is
settled. That rests on the referral (censoring) model alone. In the synthetic area the
total referral hazard is a sum of service hazards that rise and fall with employability
in opposite directions (coaching takes the most employable, rehabilitative work the least),
which a pooled logistic model cannot follow at the ends: coaching's most employable
comparison people got weights summing to 0.59 of their number, and the effect in that group
came out 3.5 points low (docs/methods.md section 7).

The augmented inverse probability of censoring weighted (AIPCW) outcome adds a second
model, of the hazard of finding work while unreferred, and is unbiased for the
never-served outcome when *either* model is right (Robins and Rotnitzky 1992; Tsiatis,
*Semiparametric Theory and Missing Data*, 2006, ch. 9-10; Rubin and van der Laan 2007 for
its use as a pseudo-outcome). For a comparison person settled at U (first work, the
window's end W, or censoring), with censoring indicator 1 - D:

    Y* = D Y / K(U) + (1 - D) Q(U) / K(U) - integral_0^U Q(u) / K(u) dLambda_C(u)

where K(u) = exp(-Lambda_C(u)) is the chance of staying unreferred until u, and
Q(u) = 1 - exp(-(Lambda_J(W) - Lambda_J(u))) the chance of work by W for a person still
without work and unreferred at u. Both cumulative hazards are piecewise constant by month
(rate r = -log(1 - h) from each pooled monthly logistic model, fitted on the same
person-months with the same features, the labour-market and eligibility terms updated month
by month), so the integral has a closed form month by month: with C the cumulative
censoring hazard at the month's start, R the job hazard from the month's start to W and a
the share of the month at risk,

    integral over the month = e^C [ (e^(r_C a) - 1) - r_C e^(-R) (e^((r_C + r_J) a) - 1) / (r_C + r_J) ].

Participants keep their observed outcome; every comparison row, censored or not, enters
the estimate with weight 1 and the pseudo-outcome Y*, whose mean given the covariates is
the never-served chance of work. With no referrals Y* = Y; with no work ever Y* = 0.
1 / K is capped at the 99th percentile of the uncensored rows' values, the same rule as the
weights' truncation (`polku.cohort.censoring.truncate`).

The job model's future months (after a censored person's service start) take the person as
still registered, and the spell clock as still running: they were registered when referred.

Only the outcome settled by the first day of open-market work, `employed_<W>m`, has this
form; the other outcomes keep the censoring weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from polku.cohort.build import DAYS_PER_MONTH, window_days
from polku.cohort.censoring import TRUNCATE_AT, clock_of, monthly_hazard, person_months, settling


def augmented_outcome(
    frame: pd.DataFrame, X: np.ndarray, months: int, *, censoring_model: Any | None = None, job_model: Any | None = None,
) -> np.ndarray:
    """Open-market work within `months` for every row: the observed 0/1 for participants,
    the pseudo-outcome Y* of the module docstring for comparison rows.

    `X` is the estimators' design matrix of `frame`'s rows; the models (scikit-learn
    classifiers, default the pooled logistic regression) give the monthly hazards of a
    service start and of a first day of work."""
    s = settling(frame, months)
    y = s.job_first.astype(float)
    controls = np.flatnonzero(~s.treated)
    if len(controls) == 0:
        return y
    # after settling a registered person is taken as registered (months beyond U are predicted, not seen)
    spell_end = np.where(s.spell_end >= s.settled, np.inf, s.spell_end)[controls]
    at_risk, share = s.months_at_risk[controls], s.last_share[controls]
    width = int(np.ceil(window_days(months) / DAYS_PER_MONTH))  # months the window touches
    features, owner, month = person_months(X[controls], np.full(len(controls), width), spell_end, clock_of(frame.iloc[controls]))
    seen = month < at_risk[owner]
    settling_month = seen & (month == at_risk[owner] - 1)
    rate_c = _rates(monthly_hazard(features[seen], (settling_month & s.censored[controls][owner])[seen], features, censoring_model), width)
    rate_j = _rates(monthly_hazard(features[seen], (settling_month & s.job_first[controls][owner])[seen], features, job_model), width)
    in_window = np.clip(window_days(months) / DAYS_PER_MONTH - np.arange(width), 0.0, 1.0)
    y[controls] = _pseudo_outcome(rate_c, rate_j * in_window, at_risk, share, s.censored[controls], y[controls])
    return y


def _rates(hazard: np.ndarray, width: int) -> np.ndarray:
    """Monthly hazards (person-major, `width` months per person) as constant rates per month."""
    return -np.log1p(-np.clip(hazard, 0.0, 1 - 1e-9)).reshape(-1, width)


def _pseudo_outcome(
    rate_c: np.ndarray, rate_j: np.ndarray, at_risk: np.ndarray, share: np.ndarray, censored: np.ndarray, observed: np.ndarray,
) -> np.ndarray:
    """Y* of the module docstring from the persons' monthly rates (persons x months; the
    job rates already scaled by the share of each month inside the window)."""
    months = rate_c.shape[1]
    k = np.arange(months)[None, :]
    last = (at_risk - 1)[:, None]
    exposure = np.where(k < last, 1.0, np.where(k == last, share[:, None], 0.0))
    hazard_c = rate_c * exposure
    start = np.cumsum(hazard_c, axis=1) - hazard_c  # C at each month's start
    to_end = np.cumsum(rate_j[:, ::-1], axis=1)[:, ::-1]  # R from each month's start to W
    both = rate_c + rate_j
    ramp = np.where(both > 1e-12, np.expm1(both * exposure) / np.where(both > 1e-12, both, 1.0), exposure)
    compensator = (np.exp(start) * (np.expm1(hazard_c) - rate_c * np.exp(-to_end) * ramp)).sum(axis=1)
    inverse_k = np.exp(hazard_c.sum(axis=1))
    rows, month = np.arange(len(at_risk)), at_risk - 1
    q = -np.expm1(-to_end[rows, month] + rate_j[rows, month] * share)  # chance of work by W from U
    cap = np.minimum(1.0, np.percentile(inverse_k[~censored], TRUNCATE_AT) / inverse_k) if (~censored).any() else 1.0
    return cap * (np.where(censored, q, observed) * inverse_k - compensator)
