"""Comparison people who start a service later: censor them then, and weight the rest.

The synthetic area's truth, and the question "what if they had not taken part", compare
with never starting the service. Comparison people drawn on a reference date are not yet
served, but about four in ten start some service within a year; their later outcomes then
mix in other services' effects. Dropping them would keep the ones who found work before a
referral came (biased the other way).

Artificial censoring with inverse probability of censoring weights (IPCW; Robins and
Finkelstein 2000; Hernan and Robins, Causal Inference: What If, ch. 12 and 17): a
comparison person is censored when a service starts before their outcome in the window is
settled (before their first day of work, within the window). A person whose outcome is
settled first (a job, or the window ending) stays, weighted by 1 / P(not censored until
settled | covariates), so the people who stay also stand for those like them who were
referred. The monthly censoring hazard is a pooled logistic regression over the
comparison people's months at risk, on the baseline covariates, the month since the
reference date, and whether the person is still registered that month (only registered
job seekers are referred). When the frame carries the spell clock (`age`, `spell_months`,
`months_unemployed_prev36`, as every cohort does), the labour-market terms of
`polku.cohort.features` are also updated month by month: a job seeker who passes 12
months in the spell during follow-up becomes long-term unemployed and, with that,
eligible for services such as rehabilitative work activity, and the referral hazard
jumps then, not at the reference date. The services' eligibility rules enter the same
way (`ELIGIBILITY`): long-term unemployment in the employment services' sense (12 months
in the spell, or 24 of the last 36), alone and with basic support (labour market subsidy
or no benefit, at the spell's start or on the reference date: rehabilitative work
activity, kuntouttava työtoiminta, is for long-term unemployed people on basic support,
Act 189/2001 s. 2-3) and with partial work ability (the target of IPS and rehabilitation).
Without them the pooled model spreads a referral jump that only some people face over
everyone like them, and under-weights the people who stay unreferred in the group that
faces it: in the synthetic area the weights of coaching's most employable comparison
people summed to 0.57 of their number instead of 1 (docs/methods.md section 7).
Participants keep weight 1.

Weights are truncated at the 99th percentile (`truncate`).

Assumption: referral depends on nothing outside these covariates (no unmeasured reason
for being referred that also drives finding work).

The weights rest on the referral model alone. For work within the window, the outcome
every report leads with, `polku.cohort.augmented` adds a model of finding work and gives a
doubly robust pseudo-outcome instead; the weights stay for the other outcomes, for the
client groups, the time-to-work curves and expected versus observed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from polku.cohort.build import BASIC_SUPPORT, DAYS_PER_MONTH, days_after, window_days
from polku.cohort.features import TERMS, with_labour_market_terms
from polku.impact.models import default_propensity_model

CLOCK = ("age", "spell_months", "months_unemployed_prev36")
ELIGIBILITY = {
    "basic_support_at_spell_start": ("benefit_at_spell_start", lambda column: column.isin(BASIC_SUPPORT)),
    "basic_support_on_reference_date": ("benefit", lambda column: column.isin(BASIC_SUPPORT)),
    "partial_work_ability": ("partial_work_ability", lambda column: column.astype(bool)),
}
"""Flags (name: source column, rule) whose interaction with long-term unemployment, as it
stands each month, enters the monthly hazard when the frame has the source column."""


@dataclass(frozen=True)
class Settling:
    """When each row's outcome in a window is settled, in days after the reference date:
    a comparison person's later service start (censored) or first day of open-market work
    or the window's end, whichever comes first; participants are never censored."""

    treated: np.ndarray
    censored: np.ndarray
    job_first: np.ndarray  # uncensored, and the first day of work falls in the window
    settled: np.ndarray  # days
    months_at_risk: np.ndarray  # months begun before settling (at least 1)
    last_share: np.ndarray  # share of the settling month that was at risk
    spell_end: np.ndarray  # days to the spell's end (one closed the day before settling: settling)


def settling(frame: pd.DataFrame, months: int) -> Settling:
    treated = frame["treated"].to_numpy(dtype=bool)
    horizon = window_days(months)
    service = days_after(frame["first_service_after"], frame["ref_date"])
    job = days_after(frame["first_job_day"], frame["ref_date"])
    censored = ~treated & (service < job) & (service < horizon)
    settled = np.where(censored, service, np.minimum(job, horizon))
    at_risk = np.maximum(np.ceil(settled / DAYS_PER_MONTH).astype(int), 1)
    last_share = np.clip((settled - (at_risk - 1) * DAYS_PER_MONTH) / DAYS_PER_MONTH, 0.0, 1.0)
    spell_end = days_after(frame["spell_end"], frame["ref_date"])
    # the register closes a spell the day before the first job (or a service start): such a
    # person was registered until settling, not deregistered in the settling month
    spell_end = np.where(spell_end >= settled - 1, np.maximum(spell_end, settled), spell_end)
    return Settling(treated, censored, ~censored & (job < horizon), settled, at_risk, last_share, spell_end)


def censoring_weights(frame: pd.DataFrame, X: np.ndarray, months: int, model: Any | None = None) -> np.ndarray:
    """Case weights for a window of `months`: 1 for participants, 0 for censored
    comparison people, 1 / P(uncensored until settled) for the others.

    `X` is the covariate matrix of `frame`'s rows (the estimators' design matrix); `model`
    a scikit-learn classifier for the monthly hazard (default: logistic regression).
    """
    s = settling(frame, months)
    controls = np.flatnonzero(~s.treated)
    if len(controls) == 0:
        return np.ones(len(frame))
    censored = s.censored[controls]
    expanded = PersonMonths(X[controls], s.months_at_risk[controls], s.spell_end[controls], clock_of(frame.iloc[controls]))
    fit = expanded.fit_persons()
    features, owner, month = expanded.build(fit)
    event = (month == expanded.at_risk[fit][owner] - 1) & censored[fit][owner]
    hazard = hazard_model(features, event, model)
    del features
    owner = np.repeat(np.arange(len(controls)), expanded.at_risk)
    h = np.concatenate([hazard(chunk) for _, chunk in expanded.chunks()])
    # survival through every month at risk; of the settling month only the part before the
    # outcome was settled (a job on day 3 of a month was exposed to 3/30 of that month's risk)
    log_keep = np.log1p(-np.clip(h, 0, 1 - 1e-9))
    last = np.r_[np.diff(owner) != 0, True]
    log_keep[last] *= s.last_share[controls]
    survival = np.exp(np.bincount(owner, weights=log_keep, minlength=len(controls)))
    weights = np.ones(len(frame))
    weights[s.censored] = 0.0
    keep = controls[~censored]
    weights[keep] = 1.0 / survival[~censored]
    return truncate(weights)


TRUNCATE_AT = 99.0
"""Weights above this percentile of the positive weights are set to it (Cole and Hernan
2008): a handful of people with a tiny chance of staying unreferred would otherwise
carry a small cohort's estimate. Trades a little bias for much less variance."""


def truncation_cap(weights: np.ndarray, percentile: float = TRUNCATE_AT) -> float:
    """The `percentile` of the positive weights (infinite when there are none)."""
    positive = weights[weights > 0]
    return float(np.percentile(positive, percentile)) if len(positive) else np.inf


def truncate(weights: np.ndarray, percentile: float = TRUNCATE_AT) -> np.ndarray:
    return np.minimum(weights, truncation_cap(weights, percentile))


def clock_of(frame: pd.DataFrame) -> np.ndarray | None:
    """The spell clock's columns followed by the `ELIGIBILITY` flags (None without a clock;
    flags the frame cannot give are left out)."""
    if not set(CLOCK) <= set(frame.columns):
        return None
    columns = [frame[c].to_numpy(dtype=float) for c in CLOCK]
    columns += [rule(frame[source]).to_numpy(dtype=float) for source, rule in ELIGIBILITY.values() if source in frame.columns]
    return np.column_stack(columns)


def person_months(
    X: np.ndarray, at_risk: np.ndarray, spell_end: np.ndarray, clock: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Long format: one row per person and month at risk (months 0 .. at_risk - 1) with the
    month's features; also each row's person (index into `X`) and month."""
    owner = np.repeat(np.arange(len(at_risk)), at_risk)
    month = np.arange(len(owner)) - np.repeat(np.cumsum(at_risk) - at_risk, at_risk)
    registered = spell_end[owner] >= month * DAYS_PER_MONTH
    features = [X[owner], month, month**2, registered]
    if clock is not None:
        months_registered = np.minimum(month, np.ceil(spell_end[owner] / DAYS_PER_MONTH))
        features.append(_terms_in_month(clock[owner], month, months_registered))
    return np.column_stack(features), owner, month


def _terms_in_month(clock: np.ndarray, month: np.ndarray, months_registered: np.ndarray) -> np.ndarray:
    """The labour-market terms as they stand `month` months after the reference date: age
    grows, and so, by the months the person has stayed registered since (not beyond the
    spell's end), do the spell and the months unemployed of the last 36 (capped at 36).
    Then long-term unemployment (either definition) alone and times each eligibility flag
    (the columns of `clock` after the three clock columns)."""
    now = with_labour_market_terms(
        pd.DataFrame(
            {
                "age": clock[:, 0] + month / 12,
                "spell_months": clock[:, 1] + months_registered,
                "months_unemployed_prev36": np.minimum(clock[:, 2] + months_registered, 36),
            }
        )
    )
    long_term = np.maximum(now["long_term_unemployed"], now["recurrently_unemployed"]).to_numpy(dtype=float)
    flags = clock[:, len(CLOCK) :]
    return np.column_stack([now[list(TERMS)].to_numpy(dtype=float), long_term, long_term[:, None] * flags])


def hazard_model(features: np.ndarray, event: np.ndarray, model: Any | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """P(event in the month) at any person-months, from `model` (default: the pooled logistic
    regression) fitted once on `features` and `event`; the observed share when every month or
    none ends in the event."""
    if event.all() or not event.any():
        share = float(event.mean()) if len(event) else 0.0
        return lambda at: np.full(len(at), share)
    fitted = clone(model if model is not None else default_propensity_model()).fit(features, event)
    return lambda at: fitted.predict_proba(at)[:, 1]


FIT_MONTHS = 400_000
"""Person-months above which a hazard model is fitted on a random subset of the persons
(all months of each). Below it every person-month is used: every area up to about 30,000
clients (the 20,000-client demo and the replications' areas among them; a cohort of 16,000
comparison people at 24 months). Above it the models are fitted on about 400,000
person-months, which hold some 20,000 service starts for the boosted referral model; at
1,000,000 clients a fit on 1,000,000 took 173 s of the 518 s of coaching's estimates
(docs/scale.md), and only one of the two models need be right for the correction."""

PREDICT_PERSONS = 20_000
"""Persons whose months are built and predicted at once: the months' features are the
largest array of an analysis (persons x months x covariates)."""


@dataclass(frozen=True)
class PersonMonths:
    """The person-months of `person_months`, built a slice of persons at a time."""

    X: np.ndarray
    at_risk: np.ndarray
    spell_end: np.ndarray
    clock: np.ndarray | None

    def build(self, persons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`person_months` of these persons (owners index into `persons`)."""
        clock = None if self.clock is None else self.clock[persons]
        return person_months(self.X[persons], self.at_risk[persons], self.spell_end[persons], clock)

    def fit_persons(self, cap: int = FIT_MONTHS) -> np.ndarray:
        """Every person when their months number at most `cap`; else a random subset of
        persons (a fixed seed: the same data give the same subset) with at most `cap` months,
        in their order."""
        if self.at_risk.sum() <= cap:
            return np.arange(len(self.at_risk))
        order = np.random.default_rng(0).permutation(len(self.at_risk))
        return np.sort(order[: np.searchsorted(np.cumsum(self.at_risk[order]), cap, side="right")])

    def chunks(self, size: int = PREDICT_PERSONS) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(persons, their months' features) for consecutive slices of `size` persons."""
        for start in range(0, len(self.at_risk), size):
            persons = np.arange(start, min(start + size, len(self.at_risk)))
            yield persons, self.build(persons)[0]
