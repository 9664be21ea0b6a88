"""Effects over the store: by service, by service and client group, by service and provider.

For each service: the cohort (participants and risk-set-sampled comparison people,
`polku.cohort`), rows whose follow-up window is complete, comparison people who start a
service later censored and the rest weighted (`polku.cohort.censoring`), or, for work
within the window, every comparison row's outcome replaced by its doubly robust
pseudo-outcome (`polku.cohort.augmented`), client groups by
employment potential (`polku.groups`), then one estimate for the whole service, one per
client group (participants and comparison people of that group) and one per provider
(that provider's participants against all comparison people). Every estimate below the
minimum cohort size is kept, with its note, so a table shows the gap. Intervals are
clustered by person: one person can be a comparison on several dates, and a comparison
before their own start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from polku.cohort.augmented import augmented_outcome
from polku.cohort.build import WINDOWS, CohortSpec, build_cohort, services_with_episodes
from polku.cohort.censoring import censoring_weights
from polku.cohort.features import ADJUSTMENT, with_labour_market_terms
from polku.errors import UsageError
from polku.groups import GROUPS, potential_groups
from polku.impact.calibration import InfeasibleBalance
from polku.impact.design import MIN_PARTICIPANTS, Design, design_from_frame, size_note
from polku.impact.registry import DEFAULT_METHOD, estimator_class, make_estimator
from polku.impact.results import EffectEstimate
from polku.pipeline.views import ServiceEstimate
from polku.store.connection import Store

OUTCOMES = ("employed", "employed_hours", "days_employed", "earnings", "exit_education", "exit_out_of_labour_force")


def augments(outcome: str, method: str) -> bool:
    """Whether the estimate of `outcome` by `method` takes the doubly robust censoring
    correction (`polku.cohort.augmented`) instead of the censoring weights alone: only
    work within the window is settled by the first day of work, and only an estimator
    that takes a continuous pseudo-outcome (trait `pseudo_outcome`) can use it."""
    return outcome.rpartition("_")[0] == "employed" and estimator_class(method).pseudo_outcome


def augmented_column(outcome: str) -> str:
    """The frame's column holding the pseudo-outcome the estimate used."""
    return f"{outcome}_augmented"


def _window(outcome: str) -> int:
    name, _, months = outcome.rpartition("_")
    if name not in OUTCOMES or not months.endswith("m") or not months[:-1].isdigit() or int(months[:-1]) not in WINDOWS:
        raise UsageError(
            f"unknown outcome '{outcome}'",
            fix=f"use one of {', '.join(OUTCOMES)} with a window of {', '.join(f'{w}m' for w in WINDOWS)}, e.g. employed_12m.",
        )
    return int(months[:-1])


def _fit(
    method: str, design: Design, keep: np.ndarray | slice, weights: np.ndarray, people: np.ndarray, settings: dict[str, Any]
) -> EffectEstimate:
    """The estimate on rows `keep`, clustered by person (one person can be drawn on several dates)."""
    estimator = make_estimator(method, **settings)
    try:
        return estimator.fit(
            design.X[keep], design.t[keep], design.y[keep], design.covariates, sample_weight=weights[keep], clusters=people[keep]
        ).result_
    except InfeasibleBalance as error:  # this cell only: the others keep their estimates
        t = design.t[keep]
        return EffectEstimate(method, "att", None, None, None, None, int(t.sum()), int((~t).sum()), note=error.what)


def service_estimates(
    store: Store,
    service_code: str,
    *,
    controls_per_participant: int = 5,
    seed: int = 0,
    as_of: dt.date | None = None,
    method: str = DEFAULT_METHOD,
    **options: Any,
) -> tuple[list[ServiceEstimate], pd.DataFrame]:
    """`cohort_estimates` of the service's cohort, built here on the data up to `as_of`
    (default: the store's last date)."""
    estimator_class(method)  # an unknown method stops before the cohort is built
    cohort = build_cohort(store, CohortSpec(service_code, controls_per_participant, seed=seed, as_of=as_of))
    return cohort_estimates(cohort, service_code, seed=seed, method=method, **options)


def cohort_estimates(
    cohort: pd.DataFrame,
    service_code: str,
    *,
    outcome: str = "employed_12m",
    method: str = DEFAULT_METHOD,
    censor_later_services: bool = True,
    seed: int = 0,
    settings: dict[str, Any] | None = None,
    by_provider: bool = True,
) -> tuple[list[ServiceEstimate], pd.DataFrame]:
    """The service's effect on `outcome` overall, by client group and (unless `by_provider`
    is false) by provider, and the analysis rows they were estimated on: with
    `client_group`, `potential`, `censoring_weight` (inverse probability of censoring),
    `weight` (the estimate's case weight: the censoring weight, or 1 for every row when the
    doubly robust correction is used) and then the pseudo-outcome in `<outcome>_augmented`.
    `cohort`: the service's cohort (`build_cohort`'s frame; the run's shared one; on Spark,
    each service's estimate runs where its cohort's rows are, `polku.engine.distribute`)."""
    months = _window(outcome)
    estimator_class(method)
    settings = {"random_state": seed, **(settings or {})}
    frame = with_labour_market_terms(cohort[cohort[f"followed_{months}m"].fillna(False).astype(bool)].reset_index(drop=True))
    design = design_from_frame(frame, "treated", outcome, list(ADJUSTMENT), source=f"cohort {service_code}")
    too_small = size_note(design, MIN_PARTICIPANTS)
    if too_small:  # no models are fitted on a cohort this small; the row says why
        result = EffectEstimate(method, "att", None, None, None, None, design.n_treated, design.n_control, note=too_small)
        return [ServiceEstimate("service", service_code, None, None, outcome, result)], frame
    censoring = censoring_weights(frame, design.X, months) if censor_later_services else np.ones(len(frame))
    employed = frame[f"employed_{months}m"].to_numpy(dtype=float)
    people = frame["person_id"].astype(str).to_numpy()
    potential, group = potential_groups(design.X, design.t, employed, censoring, seed=seed, clusters=people)
    frame = frame.assign(client_group=group, potential=potential, censoring_weight=censoring, weight=censoring)
    weights = censoring
    if censor_later_services and augments(outcome, method):
        augmented = augmented_outcome(frame, design.X, months)
        design, weights = replace(design, y=augmented), np.ones(len(frame))
        frame = frame.assign(weight=weights, **{augmented_column(outcome): augmented})
    rows = [
        ServiceEstimate(
            "service", service_code, None, None, outcome, _fit(method, design, slice(None), weights, people, settings)
        )
    ]
    for label in GROUPS:
        result = _fit(method, design, group == label, weights, people, settings)
        rows.append(ServiceEstimate("service_group", service_code, label, None, outcome, result))
    providers = sorted(frame.loc[frame["treated"], "provider_id"].dropna().unique()) if by_provider else []
    for provider in providers:
        keep = (frame["provider_id"] == provider).to_numpy() | ~design.t
        result = _fit(method, design, keep, weights, people, settings)
        rows.append(ServiceEstimate("service_provider", service_code, None, provider, outcome, result))
    return rows, frame


def store_estimates(store: Store, *, services: list[str] | None = None, **options: Any) -> list[ServiceEstimate]:
    """`service_estimates` for every service in the catalogue that has participants."""
    _window(options.get("outcome", "employed_12m"))  # a bad outcome is refused even with no services
    codes = services or services_with_episodes(store)
    rows: list[ServiceEstimate] = []
    for code in codes:
        rows += service_estimates(store, code, **options)[0]
    return rows
