"""Effects of services on measured change: the impact engine's comparison applied to change.

Design (docs/change.md, "Effects on change"): the cohort of `polku.cohort.build` (each
participant on their start day, five comparison people per participant drawn on the same
day from registered job seekers who had not started a service), so comparison people are
measured from a pseudo-start drawn exactly like the participants' starts; drawn within the
service's target group (`CohortSpec.target_group`: for supported employment, people with
partial work ability or long unemployed), since few others are measured like its
participants. For each row and
item of an instrument:

- baseline: the measurement nearest the (pseudo-)start within `WINDOW_DAYS` either side;
- follow-up at W = 6 and 12 months: the measurement nearest start + W months within
  `WINDOW_DAYS` either side (after the baseline's day);
- the outcome is the change, follow-up minus baseline, in the item's better direction.

Rows whose follow-up window is not over by the extraction date are left out (not yet
due). Rows with a baseline but no follow-up are *missing*; so is a comparison person's
follow-up taken after they started a service themselves (it would carry that service's
effect). People measured less often differ, so each measured row is weighted by the
inverse of its estimated chance of being measured (inverse probability of measurement
weighting, IPMW; Robins, Rotnitzky and Zhao 1995; Seaman and White 2013): a logistic model
of "has a follow-up" on the cohort's covariates, the baseline level and the treatment.
The weights are the case weights of the one estimator contract (`sample_weight`; a row of
weight 0, the unmeasured, is left out by the estimator). The estimator is the registry's
default (AIPW), with the baseline level among the covariates, intervals clustered by
person: the influence function's where the weighted comparison group is worth at least
10 people (Kish), else a person bootstrap that refits the measurement model with the
estimator (`interval_figures`, `polku.change.intervals`; docs/methods.md section 11).

Sensitivity (delta adjustment, a pattern-mixture model; Carpenter and Kenward 2013): if
the unmeasured participants' change were delta points below what the model predicts for
measured participants like them, the effect would be ATT + delta * m, m the share of the
participants without a follow-up. `tipping_delta` = -ATT / m is the shift that would take
the effect to zero.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from polku.change.client_groups import Cohorts, client_groups, grouped, per_service
from polku.change.instrument import Instrument, item_parameters
from polku.change.intervals import BOOTSTRAP, bootstrap_interval, persons_of
from polku.change.measures import typed_frame
from polku.change.record import WITHHELD_SMALL
from polku.cohort.build import CohortSpec, build_cohort, window_days
from polku.cohort.features import with_labour_market_terms
from polku.errors import UsageError
from polku.impact.design import MIN_MEASURED_COMPARISON, MIN_PARTICIPANTS, Design, design_from_frame
from polku.impact.propensity import fit_propensity
from polku.impact.registry import DEFAULT_METHOD, make_estimator
from polku.impact.results import EffectEstimate
from polku.store import Store

WINDOWS = (6, 12)
"""Months after the start at which change is followed (issue 17 point 3)."""
WINDOW_DAYS = 45
"""Days either side of the start and of each follow-up in which a measurement may lie:
half the three-month measuring interval, so a client measured every three months has one."""
GROUP_WINDOWS = (6,)
"""Windows whose effects on change are also estimated within each rule group and potential
band: the 6-month one, which has the most measured people; the 12-month cells doubled the
section's time on a 20,000-client area (docs/change.md)."""
FULL_GROUPINGS = ("all", "work_ability")
"""Groupings whose rows also carry the measured-only estimate; the rule groups' and bands'
rows give the weighted one alone (half the fitting time of the many group cells)."""
MIN_RESPONSE = 0.05
"""The estimated chance of being measured is held at or above this (weights at most 20)."""
MIN_EFFECTIVE_COMPARISON = 10.0
"""Below this effective size (Kish) of the comparison weights, the interval comes from the
person bootstrap, not the influence function: over synthetic areas the influence-function
interval held the truth 97 % of the time at effective sizes 10-60 and 17-76 % below 10
(docs/methods.md section 11)."""
DRAW_MINIMUM = 10
"""Fewest measured participants and comparison people a bootstrap draw is estimated with
(`refit_estimate`); a draw from a row the size rule let through is practically never below."""
INFLUENCE = "influence"
PERSON_BOOTSTRAP = "bootstrap"
BOOTSTRAP_FAILED = "bootstrap_failed"
SMALL_COMPARISON_NOTE = (
    "the weighted comparison group is worth fewer than 10 people like the participants: no honest interval without the "
    "person bootstrap (polku analyse --change-bootstrap 200)"
)
"""The `interval` column: which method gave `ci_low` and `ci_high` (`interval_figures`), or
why there is none (also `polku.change.record.WITHHELD_SMALL`)."""
ADJUST_CHANGE = (
    "baseline_level",
    "age",
    "sex",
    "education_level",
    "partial_work_ability",
    "months_unemployed_prev36",
    "spell_months",
    "log_spell_months",
    "long_term_unemployed",
    "recurrently_unemployed",
    "age_under_25",
    "age_25_29",
    "age_50_54",
    "age_55_59",
    "age_60_over",
)
"""What the models adjust for: the baseline level (regression to the mean, and a scale's
floor and ceiling) and the person's traits that shape both who is referred and the level
(age, sex, education, partial work ability, unemployment history and the spell's length:
two people with the same measured start level regress to different means if their paths
differ, Lord's paradox, so what shaped the level must be adjusted for). The cohort's other
covariates (municipality, benefit, calendar quarter) are left out: with the few measured
comparison people of an area they made the outcome model overfit (estimates beyond the
scale in a 2,000-client area)."""

EFFECT_COLUMNS = {
    "service_code": "object",
    "grouping": "object",
    "client_group": "object",
    "instrument": "object",
    "item": "object",
    "months": "int64",
    "participants": "int64",
    "comparison": "int64",
    "measured_participants": "int64",
    "measured_comparison": "int64",
    "estimate": "float64",
    "std_error": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "estimate_unweighted": "float64",
    "ci_low_unweighted": "float64",
    "ci_high_unweighted": "float64",
    "share_missing": "float64",
    "tipping_delta": "float64",
    "effective_comparison": "float64",
    "interval": "object",
    "note": "object",
}


@dataclass(frozen=True)
class ItemScale:
    """What the outcome needs of one item: its instrument and better direction."""

    instrument: str
    item: str
    direction: int


def measurements(store: Store) -> pd.DataFrame:
    """Every measurement: person_id (text), instrument, item, value, measured_on."""
    m = store.table("measurement")
    frame = m.select(m.person_id.cast("string").name("person_id"), "instrument", "item", "value", "measured_on").execute()
    frame["measured_on"] = pd.to_datetime(frame["measured_on"]).astype("datetime64[us]")
    return frame


def _nearest(rows: pd.DataFrame, values: pd.DataFrame, target: pd.Series, name: str) -> pd.DataFrame:
    """For each row (`row` index), the measurement nearest `target` within WINDOW_DAYS
    (ties: the earlier, then the lower value, so a run is the same whatever the row
    order), as columns `<name>` (value) and `<name>_on` (date)."""
    pairs = rows[["row", "person_id"]].assign(target=target.to_numpy()).merge(values, on="person_id")
    gap = (pairs["measured_on"] - pairs["target"]).dt.days
    pairs = pairs.assign(gap=gap.abs(), later=gap > 0)[gap.abs() <= WINDOW_DAYS]
    best = pairs.sort_values(["row", "gap", "later", "value"], kind="stable").drop_duplicates("row")  # ties: the lower value
    return best.set_index("row")[["value", "measured_on"]].rename(columns={"value": name, "measured_on": f"{name}_on"})


def change_outcomes(cohort: pd.DataFrame, values: pd.DataFrame, scale: ItemScale, months: int, as_of: dt.date) -> pd.DataFrame:
    """The cohort's rows due for follow-up at `months` that have a baseline, with
    `baseline_level`, `change` (NaN when missing) and `measured` (see the module docstring)."""
    mine = values[(values["instrument"] == scale.instrument) & (values["item"] == scale.item)]
    mine = mine[["person_id", "value", "measured_on"]]
    ref = pd.to_datetime(cohort["ref_date"], cache=False)
    due = ref + pd.Timedelta(days=window_days(months) + WINDOW_DAYS) <= pd.Timestamp(as_of)
    rows = cohort[due.to_numpy()].assign(person_id=lambda f: f["person_id"].astype(str)).reset_index(drop=True)
    rows["row"] = np.arange(len(rows))
    ref = pd.to_datetime(rows["ref_date"], cache=False)
    base = _nearest(rows, mine, ref, "baseline_level")
    follow = _nearest(rows, mine, ref + pd.Timedelta(days=window_days(months)), "follow")
    rows = rows.join(base, on="row").join(follow, on="row")
    rows = rows[rows["baseline_level"].notna()].copy()
    later_service = pd.to_datetime(rows["first_service_after"], cache=False)
    contaminated = ~rows["treated"].astype(bool) & later_service.notna() & (later_service <= rows["follow_on"])
    measured = rows["follow"].notna() & (rows["follow_on"] > rows["baseline_level_on"]) & ~contaminated
    rows["measured"] = measured.to_numpy()
    rows["change"] = np.where(measured, scale.direction * (rows["follow"] - rows["baseline_level"]), np.nan)
    return rows.drop(columns=["row", "follow", "follow_on", "baseline_level_on"]).reset_index(drop=True)


def measurement_weights(design: Design, measured: np.ndarray) -> np.ndarray:
    """1 / P(measured | covariates, baseline, treatment) for measured rows, 0 for the others."""
    if measured.all():
        return np.ones(len(measured))
    X = np.column_stack([design.X, design.t.astype(float)])
    chance = np.maximum(fit_propensity(X, measured), MIN_RESPONSE)
    return np.where(measured, 1.0 / chance, 0.0)


def outcome_design(rows: pd.DataFrame, name: str, outcome: str = "change", adjust: tuple[str, ...] = ADJUST_CHANGE) -> Design:
    """The estimator's design of `rows`: `outcome` (0 where missing: such rows get weight 0)
    adjusted for `adjust`."""
    frame = with_labour_market_terms(rows).assign(outcome=rows[outcome].fillna(0.0))
    return design_from_frame(frame, "treated", "outcome", list(adjust), source=name)


def fit_effect(
    design: Design, weights: np.ndarray, people: np.ndarray, seed: int, min_participants: int = MIN_PARTICIPANTS
) -> EffectEstimate:
    estimator = make_estimator(DEFAULT_METHOD, random_state=seed, min_participants=min_participants)
    return estimator.fit(design.X, design.t, design.y, design.covariates, sample_weight=weights, clusters=people).result_


def refit_estimate(design: Design, measured: np.ndarray, persons: np.ndarray, seed: int) -> float | None:
    """The weighted estimate refitted from scratch on one bootstrap draw: the measurement
    model, then the estimator (`polku.change.intervals.bootstrap_interval`); None when the
    draw leaves the estimator too few people (fewer persons than cross-fitting folds). The
    size rule decided on the sample whether the row is estimated; a draw is not held to it
    (a row of exactly 60 measured participants would lose about half its draws, and the
    percentiles of the rest would describe a different estimator)."""
    try:
        weights = measurement_weights(design, measured)
        return fit_effect(design, weights, persons, seed, min_participants=DRAW_MINIMUM).estimate
    except UsageError:
        return None


def figures(result: EffectEstimate, suffix: str = "") -> dict[str, float]:
    """The estimate, its interval (and standard error) as floats, NaN when withheld."""
    names = ("estimate", "ci_low", "ci_high") + (() if suffix else ("std_error",))
    return {f"{n}{suffix}": np.nan if getattr(result, n) is None else float(getattr(result, n)) for n in names}


def counts(rows: pd.DataFrame) -> dict[str, object]:
    t = rows["treated"].astype(bool).to_numpy()
    m = rows["measured"].to_numpy(bool)
    return {
        "participants": int(t.sum()),
        "comparison": int((~t).sum()),
        "measured_participants": int((t & m).sum()),
        "measured_comparison": int((~t & m).sum()),
    }


def interval_figures(
    result: EffectEstimate, design: Design, measured: np.ndarray, persons: np.ndarray, seed: int, bootstrap: int
) -> dict[str, object]:
    """The weighted estimate's figures with `effective_comparison` (Kish's size of the
    comparison weights) and `interval` (the method of ci_low, ci_high and std_error): the
    influence function's where the weighted comparison group is worth at least
    `MIN_EFFECTIVE_COMPARISON` people, else the person bootstrap that refits the
    measurement model with the estimator (`polku.change.intervals`, `bootstrap`
    replicates; with 0 such a cell's estimate and interval are withheld, since the influence
    function's interval held the truth only 17-76 % of the time there). Why this split:
    docs/methods.md section 11."""
    shown: dict[str, object] = figures(result) | {"interval": INFLUENCE}
    ess = np.nan if result.overlap is None or result.overlap.ess_control is None else result.overlap.ess_control
    shown["effective_comparison"] = ess
    if result.estimate is None or not ess < MIN_EFFECTIVE_COMPARISON:
        return shown
    if bootstrap <= 0:
        withheld = {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "std_error": np.nan}
        return shown | withheld | {"interval": WITHHELD_SMALL}
    boot = bootstrap_interval(design, measured, persons, refit_estimate, replications=bootstrap, seed=seed)
    if boot is None:  # too many draws without an estimate: no interval is honest here
        return shown | {"ci_low": np.nan, "ci_high": np.nan, "std_error": np.nan, "interval": BOOTSTRAP_FAILED}
    return shown | {"ci_low": boot.ci_low, "ci_high": boot.ci_high, "std_error": boot.std_error, "interval": PERSON_BOOTSTRAP}


def effect_row(
    rows: pd.DataFrame, weights: np.ndarray, design: Design, seed: int, *, unweighted: bool = True, bootstrap: int = BOOTSTRAP
) -> dict[str, object]:
    """One table row: the weighted estimate with its interval (`interval_figures`) and
    (unless `unweighted` is false, when its columns are NaN) the measured-only estimate."""
    people = persons_of(rows)
    measured = rows["measured"].to_numpy(bool)
    weighted = fit_effect(design, weights, people, seed)
    skipped = {f"{n}_unweighted": np.nan for n in ("estimate", "ci_low", "ci_high")}
    plain = figures(fit_effect(design, measured.astype(float), people, seed), "_unweighted") if unweighted else skipped
    share = float(1.0 - measured[design.t].mean())
    shown = interval_figures(weighted, design, measured, people, seed, bootstrap)
    note = weighted.note or ""
    if shown["interval"] == WITHHELD_SMALL:  # the measured-only estimate rests on the same few
        plain, note = skipped, SMALL_COMPARISON_NOTE
    estimate = float(shown["estimate"])  # type: ignore[arg-type]
    tipping = -estimate / share if share > 0 and not np.isnan(estimate) else np.nan
    extra = {"share_missing": share, "tipping_delta": tipping, "note": note}
    return counts(rows) | shown | plain | extra


def too_small(rows: pd.DataFrame) -> str:
    t = rows["treated"].astype(bool) & rows["measured"]
    c = ~rows["treated"].astype(bool) & rows["measured"]
    if t.sum() < MIN_PARTICIPANTS or c.sum() < MIN_MEASURED_COMPARISON:
        return f"fewer than {MIN_PARTICIPANTS} measured participants or {MIN_MEASURED_COMPARISON} measured comparison people"
    return ""


def item_effects(
    rows: pd.DataFrame, seed: int, name: str, *, by_group: bool = True, bootstrap: int = BOOTSTRAP
) -> list[dict[str, object]]:
    """The effect on one item's change for all rows and each client group
    (`polku.change.client_groups`; the rule groups and bands only when `by_group`), or the
    counts and why there is none; `bootstrap`: replicates of the interval where the
    influence function's is not to be trusted (`interval_figures`)."""
    out: list[dict[str, object]] = []
    for grouping, group, keep in client_groups(rows, detailed=by_group):
        subset = rows[keep].reset_index(drop=True)
        key = {"grouping": grouping, "client_group": group}
        note = too_small(subset)
        if note:
            out.append(_empty_row(subset) | key | {"note": note})
            continue
        design = outcome_design(subset, name)
        weights = measurement_weights(design, subset["measured"].to_numpy(bool))
        full = grouping in FULL_GROUPINGS
        out.append(effect_row(subset, weights, design, seed, unweighted=full, bootstrap=bootstrap) | key)
    return out


def _empty_row(rows: pd.DataFrame) -> dict[str, object]:
    nothing: dict[str, object] = {name: np.nan for name, kind in EFFECT_COLUMNS.items() if kind == "float64"}
    return nothing | counts(rows) | {"interval": ""}


def change_cohort(store: Store, service_code: str, *, seed: int = 0, as_of: dt.date | None = None) -> pd.DataFrame:
    """The cohort the effects on change stand on, built from the store: drawn within the
    service's target group, with every window (a run uses its shared one instead)."""
    return build_cohort(store, CohortSpec(service_code, windows=WINDOWS, seed=seed, as_of=as_of, target_group=True))


def service_effects(
    cohort: pd.DataFrame,
    service_code: str,
    scales: list[ItemScale],
    values: pd.DataFrame,
    *,
    seed: int = 0,
    bootstrap: int = BOOTSTRAP,
) -> tuple[pd.DataFrame, dict[tuple[str, int], pd.DataFrame]]:
    """The service's effect on every item's change at 6 and 12 months (`EFFECT_COLUMNS`), and
    the analysis rows of each (item, months), for checks against a known truth. `cohort`:
    the service's cohort (`change_cohort`, or the run's shared one, `CohortBuilder`), with at
    least these windows; `bootstrap`: as in `item_effects`."""
    as_of = cohort.attrs["as_of"]
    cohort = grouped(cohort, seed).assign(person_id=lambda f: f["person_id"].astype(str))  # once, not per item and window
    table: list[dict[str, object]] = []
    frames: dict[tuple[str, int], pd.DataFrame] = {}
    by_item = dict(iter(values.groupby(["instrument", "item"], sort=False)))  # one pass, not one per item and window
    for scale in scales:
        mine = by_item.get((scale.instrument, scale.item), values.iloc[:0])
        for months in WINDOWS:
            rows = change_outcomes(cohort, mine, scale, months, as_of)
            frames[(scale.item, months)] = rows
            key = {"service_code": service_code, "instrument": scale.instrument, "item": scale.item, "months": months}
            name = f"change {service_code} {scale.item}"
            cells = item_effects(rows, seed, name, by_group=months in GROUP_WINDOWS, bootstrap=bootstrap)
            table += [row | key for row in cells]
    return typed_frame(pd.DataFrame(table, columns=list(EFFECT_COLUMNS)), EFFECT_COLUMNS), frames


def shipped_scales(chosen: dict[str, Instrument] | None = None) -> list[ItemScale]:
    """Every item of the instruments (default: the shipped ones) as an `ItemScale`."""
    return [ItemScale(str(p["instrument"]), str(p["item"]), int(p["direction"])) for p in item_parameters(chosen)]


def store_effects(
    store: Store,
    *,
    seed: int = 0,
    as_of: dt.date | None = None,
    services: list[str] | None = None,
    cohorts: Cohorts | None = None,
    bootstrap: int = BOOTSTRAP,
) -> pd.DataFrame:
    """`service_effects` for every service with episodes (or `services`), one table;
    `cohorts`: the run's shared cohorts with their client groups
    (`polku.change.client_groups.GroupedCohorts`; built here when not given)."""
    table_of = functools.partial(_effects_table, scales=shipped_scales(), seed=seed, bootstrap=bootstrap)
    values = measurements(store)
    return per_service(store, table_of, EFFECT_COLUMNS, values, seed=seed, as_of=as_of, services=services, cohorts=cohorts)


def _effects_table(
    code: str, cohort: pd.DataFrame, values: pd.DataFrame, *, scales: list[ItemScale], seed: int, bootstrap: int
) -> pd.DataFrame:
    """`service_effects`' table of a cohort already built: what a worker process fits."""
    return service_effects(cohort, code, scales, values, seed=seed, bootstrap=bootstrap)[0]
