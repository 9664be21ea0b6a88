"""What is shown beside each service's estimate over the store: checks, curves, expected versus observed.

`service_estimates` (`polku.pipeline.by_service`) gives a service's effects and the analysis
rows they rest on (followed rows with their case `weight`, `censoring_weight` and
`client_group`). This module reads those same rows, without rebuilding the cohort, for
three views (the checks on the estimate's own rows and outcome, the pseudo-outcome when it
took the doubly robust censoring correction; the curves and expected versus observed on
the censoring-weighted rows, which need the observed 0/1 outcome):

  - **Refutation checks** (`refutation_checks`): the negative-control outcome (work in the
    365 days before the start, `employed_before_12m`) and the placebo treatment
    (`polku.impact.refute`), with the same estimator, the same rows and the same case
    weights as the estimate, and its E-value. Each check's "original" is the fitted
    estimate itself (not fitted again).
  - **Time to employment** (`survival_views`): Aalen-Johansen cumulative incidence of
    open-market work (exits to education or out of the labour force compete), and
    Kaplan-Meier when asked, for participants and for the comparison group weighted to
    resemble them: each comparison row carries its censoring weight times the ATT weight
    e/(1 - e), e the cross-fitted propensity score of AIPW on these rows (`att_scores`,
    whatever the estimator), and units the trimming rule drops are left out on both sides.
    The comparison weights are scaled to sum to their Kish effective sample size, which
    leaves the curve unchanged and keeps its pointwise band from treating the weights as
    that many people. The same curves per client group take the group's
    rows with the service's scores, for each group that has an estimate.
  - **Expected versus observed by client group** (`expected_by_group`): the
    expected-versus-observed estimator (`polku.impact.expected`, logistic model) fitted
    once per service on the weighted comparison rows; each group's O and E are sums over
    that group's participants of the same model's p_i. The model part of each interval is
    the delta-method variance of E from the model's sandwich covariance
    (`expected_model_fit`), the quantity the estimator's bootstrap estimates, at the cost
    of one fit instead of B.
"""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from polku.cohort.build import CohortBuilder, CohortSpec, build_cohort, cohorts_for, data_end, days_after, services_with_episodes
from polku.cohort.features import ADJUSTMENT
from polku.errors import UsageError
from polku.groups import GROUPS
from polku.impact.balance import kish_ess
from polku.impact.base import Z95
from polku.impact.design import MIN_PARTICIPANTS, Design, count_note, covariate_matrix, is_binary
from polku.impact.expected_model import make_model
from polku.impact.propensity import cross_fit_propensity, fit_weighted, folds, trimming_mask
from polku.impact.refute import e_value, negative_control, outcome_sd, placebo_treatment
from polku.impact.registry import DEFAULT_METHOD, estimator_class, make_estimator
from polku.impact.results import EffectEstimate
from polku.impact.survival import CENSORED, OTHER_EXIT, WORK, cumulative_incidence, kaplan_meier
from polku.impact.weighting import _att_weights
from polku.pipeline.by_service import augmented_column, cohort_estimates
from polku.pipeline.views import Checks, ExpectedRow, GroupCurves, ServiceView, SurvivalView
from polku.pipeline.workers import map_in_order
from polku.store.connection import Store

NEGATIVE_CONTROL = "employed_before_12m"


@dataclass(frozen=True)
class Analysis:
    """The rows an estimate over the store was fitted on (case weight above 0), as
    the estimators see them: covariates built on the whole followed frame, as in
    `service_estimates`, then restricted to the weighted rows."""

    frame: pd.DataFrame
    X: np.ndarray
    t: np.ndarray
    w: np.ndarray
    covariates: tuple[str, ...]

    def outcome(self, column: str) -> np.ndarray:
        return self.frame[column].to_numpy(dtype=float)

    @functools.cached_property
    def people(self) -> np.ndarray | None:
        """Person ids, the clusters of the estimate's interval (one person, several dates);
        None for rows without them (taken as independent). Kept: each cross-fit and check
        asks for them, and turning the ids into text took a tenth of a 50,000-client run."""
        return self.frame["person_id"].astype(str).to_numpy() if "person_id" in self.frame else None


def analysis_rows(frame: pd.DataFrame, result: EffectEstimate | None = None, weight: str = "weight") -> Analysis | None:
    """The rows of `service_estimates`' frame with `weight` above 0, weighted by it: the
    estimate `result`'s own rows by default, the censoring-weighted rows with
    `weight="censoring_weight"` (what the curves and expected versus observed use; the same rows
    unless the estimate took the doubly robust correction). None when the cohort was too
    small for any model (the frame then has no weights)."""
    if weight not in frame.columns:
        return None
    X, names = covariate_matrix(frame, list(ADJUSTMENT), source="cohort")
    if result is not None and result.balance and names != tuple(row.covariate for row in result.balance):
        raise RuntimeError("the covariates rebuilt from the cohort differ from the estimate's; see polku.pipeline.store_views")
    weights = frame[weight].to_numpy(dtype=float)
    keep = weights > 0
    return Analysis(
        frame[keep].reset_index(drop=True), X[keep], frame["treated"].to_numpy(dtype=bool)[keep], weights[keep], names
    )


def att_scores(analysis: Analysis, seed: int = 0, n_folds: int = 5) -> np.ndarray:
    """The out-of-fold propensity scores AIPW uses on these rows (same folds and weights)."""
    return cross_fit_propensity(analysis.X, analysis.t, folds(analysis.t, n_folds, seed, analysis.people), None, analysis.w)


# --- refutation checks -------------------------------------------------------------------


def refutation_checks(
    analysis: Analysis,
    outcome: str,
    result: EffectEstimate,
    *,
    method: str = DEFAULT_METHOD,
    seed: int = 0,
    settings: dict[str, Any] | None = None,
) -> Checks:
    """Negative-control outcome and placebo treatment for the estimate `result` of `outcome`
    on these rows (fitted with `method` and `settings`, as `service_estimates` did, on the
    pseudo-outcome when the estimate used one). The E-value takes the observed outcome's
    spread: the pseudo-outcome's is wider by construction."""
    observed = analysis.outcome(outcome)
    estimated = augmented_column(outcome)
    y = analysis.outcome(estimated) if estimated in analysis.frame else observed
    estimator = make_estimator(method, **{"random_state": seed, **(settings or {})})
    design = Design(analysis.X, analysis.t, y, analysis.covariates, analysis.w, analysis.people)
    negative = negative_control(design, result, estimator, analysis.outcome(NEGATIVE_CONTROL))
    placebo = placebo_treatment(design, result, estimator, random_state=seed)
    return Checks(negative, placebo, e_value(result, outcome_sd(observed)))


# --- time to employment ------------------------------------------------------------------


def time_to_work(frame: pd.DataFrame, as_of: dt.date, horizon_days: int = 730) -> pd.DataFrame:
    """(duration in days, event code) for each cohort row, with the events and censoring of
    `polku.impact.survival`: counted from the start or reference date, censored at `as_of`,
    `horizon_days` or a comparison person's later service start."""

    job = days_after(frame["first_job_day"], frame["ref_date"])
    other = days_after(frame["first_exit_day"], frame["ref_date"])
    data_end = days_after(pd.Series([pd.Timestamp(as_of)] * len(frame), index=frame.index), frame["ref_date"])
    service = np.where(frame["treated"].to_numpy(dtype=bool), np.inf, days_after(frame["first_service_after"], frame["ref_date"]))
    censor = np.minimum(np.minimum(data_end, horizon_days), service)
    first = np.minimum(job, other)
    event = np.where(first <= censor, np.where(job <= other, WORK, OTHER_EXIT), CENSORED)
    duration = np.where(event == CENSORED, censor, first)
    return pd.DataFrame({"duration": np.maximum(duration, 0.0), "event": event}, index=frame.index)


def _curves(label: str, duration: np.ndarray, event: np.ndarray, weights: np.ndarray | None, kaplan: bool) -> GroupCurves:
    with warnings.catch_warnings():  # lifelines: non-integer weights give approximate bands (docs/methods.md, section 8)
        warnings.simplefilter("ignore")
        incidence = cumulative_incidence(duration, event, weights, label=label)
        still = kaplan_meier(duration, event, weights, label=label) if kaplan else None
    return GroupCurves(
        label, incidence, still, duration, event, kish_ess(weights) if weights is not None else float(len(duration))
    )


def survival_views(
    analysis: Analysis,
    as_of: dt.date,
    scores: np.ndarray,
    *,
    groups: tuple[str, ...] | list[str] = (),
    service_code: str = "",
    trim: float = 0.01,
    horizon_days: int = 730,
    kaplan: bool = True,
) -> tuple[SurvivalView, list[SurvivalView]]:
    """Curves of participants and of the comparison rows weighted by censoring weight x
    e/(1 - e), after the estimate's trimming rule (see the module docstring), for the
    service and for each of `groups` (those with an estimate) that keeps rows on both
    sides; Kaplan-Meier as well as Aalen-Johansen when `kaplan`. A group's curves take the
    service's scores: the group is a function of the covariates, so their balance holds
    within it."""
    events = time_to_work(analysis.frame, as_of, horizon_days)
    duration, event = events["duration"].to_numpy(dtype=float), events["event"].to_numpy()
    kept = trimming_mask(scores, "att", trim)
    _, att = _att_weights(analysis.t, scores, analysis.w)

    def view(rows: np.ndarray, client_group: str | None) -> SurvivalView:
        treated, control = analysis.t & kept & rows, ~analysis.t & kept & rows
        weights = att[control] * kish_ess(att[control]) / att[control].sum()
        return SurvivalView(
            service_code,
            as_of,
            _curves("participants", duration[treated], event[treated], None, kaplan),
            _curves("comparison", duration[control], event[control], weights, kaplan),
            int((~kept & rows).sum()),
            horizon_days,
            client_group,
        )

    by_group = []
    for label in groups:
        rows = (analysis.frame["client_group"] == label).to_numpy()
        if (analysis.t & kept & rows).any() and (~analysis.t & kept & rows).any():
            by_group.append(view(rows, label))
    return view(np.ones(len(kept), dtype=bool), None), by_group


# --- expected versus observed by client group --------------------------------------------


@dataclass(frozen=True)
class ExpectedModelFit:
    """Expected versus observed's no-service model on a service's rows: each participant's p_i and
    the sandwich covariance of the model's coefficients (for the delta method)."""

    expected: np.ndarray  # p_i of each participant, in row order
    gradient_rows: np.ndarray  # p_i (1 - p_i) z_i of each participant
    covariance: np.ndarray  # V = H^-1 M H^-1

    def model_variance(self, mask: np.ndarray) -> float:
        """Var(E) of the participants in `mask` from the model's own uncertainty."""
        g = self.gradient_rows[mask].sum(axis=0)
        return float(g @ self.covariance @ g)


def expected_model_fit(analysis: Analysis, y: np.ndarray, seed: int = 0) -> ExpectedModelFit:
    """Expected versus observed's logistic model (`make_model('logistic')`, fitted on the weighted
    reference rows as `polku.impact.ExpectedVersusObserved` fits it) with the delta-method pieces.

    With p = expit(z'b), z the model's standardised covariates with a leading 1, and w the
    case weights of the reference rows:
        H = sum_ref w p (1 - p) z z',  M = sum_c s_c s_c',  s_c = sum_{i in c} w (y - p) z,
        V = H^-1 M H^-1,  Var(E_g) = g' V g  with  g = sum_{i in g} p_i (1 - p_i) z_i  over
    participants in g, and c the people (one person drawn on several dates is one cluster;
    without person ids every row is its own). This is the variance the estimator's
    bootstrap (refits on reference rows resampled with their weights) estimates, without
    refitting; a test compares the two."""
    reference = ~analysis.t
    model = fit_weighted(clone(make_model("logistic", True, seed)), analysis.X[reference], y[reference], analysis.w[reference])
    X_ref, X_part = analysis.X[reference], analysis.X[analysis.t]
    Z_ref = np.column_stack([np.ones(len(X_ref)), model[0].transform(X_ref)])  # model[0]: its StandardScaler
    Z_part = np.column_stack([np.ones(len(X_part)), model[0].transform(X_part)])
    p_ref, p_part = model.predict_proba(X_ref)[:, 1], model.predict_proba(X_part)[:, 1]
    w = analysis.w[reference]
    H = (Z_ref * (w * p_ref * (1 - p_ref))[:, None]).T @ Z_ref
    scores = Z_ref * (w * (y[reference] - p_ref))[:, None]
    people = analysis.people
    if people is not None:  # sum each person's score rows
        scores = pd.DataFrame(scores).groupby(people[reference], sort=False).sum().to_numpy()
    M = scores.T @ scores
    H_inv = np.linalg.pinv(H)
    return ExpectedModelFit(p_part, Z_part * (p_part * (1 - p_part))[:, None], H_inv @ M @ H_inv)


def expected_by_group(
    analysis: Analysis,
    outcome: str,
    *,
    seed: int = 0,
    min_participants: int = MIN_PARTICIPANTS,
) -> list[ExpectedRow]:
    """O, E and the interval of O - E for all participants, then for each client group:
    expected versus observed with its logistic model (`expected_model_fit`), the model part of the variance
    by the delta method instead of bootstrap refits.

    Sizes follow `ExpectedVersusObserved`: no estimate below `min_participants`
    participants or comparison rows (with weight > 0)."""
    y = analysis.outcome(outcome)
    if not is_binary(y):
        raise UsageError(
            f"expected versus observed by client group needs a 0/1 outcome, not '{outcome}'",
            fix="use employed_12m or another employed_ outcome.",
        )
    labels = analysis.frame.loc[analysis.t, "client_group"].to_numpy().astype(str)
    observed = y[analysis.t]
    keys = (None, *GROUPS)
    members = [np.ones(len(labels), dtype=bool) if key is None else labels == key for key in keys]
    note = count_note(int(analysis.t.sum()), int((~analysis.t).sum()), min_participants)
    if note:
        return [ExpectedRow(key, int(m.sum()), float(observed[m].sum()), note=note) for key, m in zip(keys, members)]
    model = expected_model_fit(analysis, y, seed)
    p = model.expected
    rows = []
    for key, inside in zip(keys, members):
        n, o = int(inside.sum()), float(observed[inside].sum())
        if n < min_participants:
            rows.append(ExpectedRow(key, n, o, note=count_note(n, min_participants, min_participants)))
            continue
        e = float(p[inside].sum())
        half = Z95 * float(np.sqrt((p[inside] * (1 - p[inside])).sum() + model.model_variance(inside)))
        rows.append(ExpectedRow(key, n, o, e, o - e - half, o - e + half))
    return rows


# --- one service, everything ---------------------------------------------------------------


def service_view(
    store: Store,
    service_code: str,
    *,
    controls_per_participant: int = 5,
    seed: int = 0,
    as_of: dt.date | None = None,
    method: str = DEFAULT_METHOD,
    **options: Any,
) -> ServiceView:
    """`cohort_view` of the service's cohort, built here on the data up to `as_of`
    (default: the store's last date)."""
    estimator_class(method)  # an unknown method stops before the cohort is built
    as_of = as_of or data_end(store)
    cohort = build_cohort(store, CohortSpec(service_code, controls_per_participant, seed=seed, as_of=as_of))
    return cohort_view(cohort, service_code, seed=seed, as_of=as_of, method=method, **options)


def cohort_view(
    cohort: pd.DataFrame,
    service_code: str,
    *,
    outcome: str = "employed_12m",
    method: str = DEFAULT_METHOD,
    seed: int = 0,
    settings: dict[str, Any] | None = None,
    as_of: dt.date | None = None,
    checks: bool = True,
    survival: bool = True,
    expected: bool = True,
    kaplan: bool = False,
    **options: Any,
) -> ServiceView:
    """`cohort_estimates` of a service's cohort and, when the service has an estimate, the
    views asked for (Kaplan-Meier curves only with `kaplan`; the report shows cumulative
    incidence); the curves end at `as_of`, by default the cohort's own date."""
    rows, frame = cohort_estimates(cohort, service_code, outcome=outcome, method=method, seed=seed, settings=settings, **options)
    result = rows[0].result
    analysis = analysis_rows(frame, result)
    if analysis is None or result.suppressed:
        return ServiceView(service_code, rows, frame)
    found = refutation_checks(analysis, outcome, result, method=method, seed=seed, settings=settings) if checks else None
    augmented = augmented_column(outcome) in frame
    weighted = (analysis_rows(frame, result, "censoring_weight") if augmented else None) or analysis
    curves: SurvivalView | None = None
    group_curves: list[SurvivalView] = []
    if survival:
        scores = att_scores(weighted, seed)
        trim = (settings or {}).get("trim", 0.01)
        estimated = [r.client_group for r in rows if r.level == "service_group" and not r.result.suppressed and r.client_group]
        curves, group_curves = survival_views(
            weighted,
            as_of or cohort.attrs["as_of"],
            scores,
            groups=estimated,
            service_code=service_code,
            trim=trim,
            kaplan=kaplan,
        )
    by_group = expected_by_group(weighted, outcome, seed=seed) if expected else []
    return ServiceView(service_code, rows, frame, found, curves, by_group, group_curves)


def store_views(
    store: Store, *, services: list[str] | None = None, cohorts: CohortBuilder | None = None, **options: Any
) -> list[ServiceView]:
    """`service_view` for every service with participants (or those asked for); none for a
    store without service episodes. `cohorts`: the analysis's shared cohorts (built here
    when not given, with the options' seed and controls)."""
    codes = services or services_with_episodes(store)
    if not codes:  # an empty store has no data end either
        return []
    as_of = options.pop("as_of", None) or data_end(store)
    controls = options.get("controls_per_participant", 5)
    fit = functools.partial(_cohort_view, as_of=as_of, options=options)
    with cohorts_for(store, cohorts, seed=options.get("seed", 0), as_of=as_of, controls_per_participant=controls) as built:
        return list(map_in_order(fit, ((code, built.cohort(code)) for code in codes)))


def _cohort_view(item: tuple[str, pd.DataFrame], *, as_of: dt.date, options: dict[str, Any]) -> ServiceView:
    """`cohort_view` of a service's cohort already built: what a worker process fits
    (`polku.pipeline.workers`), without the store."""
    code, cohort = item
    return cohort_view(cohort, code, as_of=as_of, **options)
