"""Effects of services on reaching the goals of the employment plan (issue 17 point 3).

Every registered job seeker's plan has goals, participants' and others' alike, each with
a due date and, once assessed, a Goal Attainment Scaling level (-2..+2). Design
(docs/change.md, "Effects on reaching goals"): the run's shared cohort of each service
(`polku.cohort.build`: participants on their start day, five comparison people per
participant drawn on the same day among registered job seekers who had not started a
service), and for each row and window W = 6 and 12 months:

- the row's goals: those of the person due in (reference date, reference date + W
  months] that have a GAS level (assessed, not cancelled); for a comparison person only
  goals due before the first service they started later (a later goal would carry that
  service's effect);
- outcome `reached`: the share of these goals reached, level >= 0 (the goal's expected
  level or better, Kiresuk and Sherman 1968);
- outcome `gas_t`: the Kiresuk-Sherman T-score over these goals with their weights.

Rows whose window is not over by the data's end are left out (not yet due). A row with no
goal due in the window has no outcome: the estimate is *restricted* to the rows with at
least one, so the estimand is the effect on participants who had a plan goal due within W
months of their start (ATT among them), compared with comparison people who had one due
within W months of their reference date. The restriction is on a result of the start (a
participant who finds work leaves the register, and the plan's later goals are never set),
so `share_missing` says how many participants it leaves out. The estimator is the
registry's default (AIPW) on the covariates of the effects on change without a baseline
level (`ADJUST_GOALS`), intervals clustered by person; the size rule is the same as for
the effects on change (`polku.change.effects.too_small`).
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd

from polku.change.client_groups import Cohorts, client_groups, grouped, per_service
from polku.change.effects import (
    ADJUST_CHANGE,
    counts,
    figures,
    fit_effect,
    outcome_design,
    too_small,
)
from polku.change.formulas import gas_t_scores
from polku.change.measures import typed_frame
from polku.cohort.build import window_days
from polku.store import Store

WINDOWS = (6, 12)
"""Months after the (pseudo-)start within which goals fall due."""
OUTCOMES = ("reached", "gas_t")
"""The share of due goals reached (0-1) and their GAS T-score (50 = as expected)."""
ADJUST_GOALS = tuple(c for c in ADJUST_CHANGE if c != "baseline_level")
"""The effects on change's covariates; a goal has no measured starting level."""

GOAL_EFFECT_COLUMNS = {
    "service_code": "object",
    "grouping": "object",
    "client_group": "object",
    "outcome": "object",
    "months": "int64",
    "participants": "int64",
    "comparison": "int64",
    "measured_participants": "int64",
    "measured_comparison": "int64",
    "goals_participants": "int64",
    "goals_comparison": "int64",
    "mean_participants": "float64",
    "mean_comparison": "float64",
    "estimate": "float64",
    "std_error": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "share_missing": "float64",
    "note": "object",
}
"""`measured_*`: the rows with a goal due in the window (the estimate's rows); `goals_*`:
their goals; `mean_*`: the outcome's plain mean on each side."""


def plan_goals(store: Store) -> pd.DataFrame:
    """Every assessed goal with a due date: person_id (text), due, gas_level, gas_weight
    (a missing weight counts as 1, as in the T-scores of `polku.change.measures`)."""
    goal = store.table("goal")
    if not {"gas_level", "gas_weight"} <= set(goal.columns):  # a store from before the GAS fields
        return pd.DataFrame({"person_id": [], "due": pd.Series([], dtype="datetime64[us]"), "gas_level": [], "gas_weight": []})
    rated = goal.filter(goal.gas_level.notnull(), goal.due.notnull())
    frame = rated.select(
        rated.person_id.cast("string").name("person_id"),
        "due",
        rated.gas_level.cast("float64").name("gas_level"),
        rated.gas_weight.fill_null(1.0).cast("float64").name("gas_weight"),
    ).execute()
    frame["due"] = pd.to_datetime(frame["due"]).astype("datetime64[us]")
    return frame


def goal_outcomes(cohort: pd.DataFrame, goals: pd.DataFrame, months: int, as_of: dt.date) -> pd.DataFrame:
    """The cohort's rows whose W-month window is over by `as_of`, with `goals` (how many of
    the row's goals fall due in it), `reached`, `gas_t` (NaN without goals) and `measured`
    (at least one goal); see the module docstring."""
    ref = pd.to_datetime(cohort["ref_date"])
    over = ref + pd.Timedelta(days=window_days(months)) <= pd.Timestamp(as_of)
    rows = cohort[over.to_numpy()].reset_index(drop=True)
    rows = rows.assign(person_id=rows["person_id"].astype(str))
    pairs = rows[["person_id", "ref_date", "treated", "first_service_after"]].reset_index(names="row")
    pairs = pairs.merge(goals, on="person_id")
    start = pd.to_datetime(pairs["ref_date"])
    later = pd.to_datetime(pairs["first_service_after"])
    inside = (pairs["due"] > start) & (pairs["due"] <= start + pd.Timedelta(days=window_days(months)))
    clean = pairs["treated"].astype(bool) | later.isna() | (pairs["due"] < later)
    pairs = pairs[(inside & clean).to_numpy()]
    row = pairs["row"].to_numpy()
    n = np.bincount(row, minlength=len(rows))
    reached = np.bincount(row, weights=(pairs["gas_level"] >= 0).to_numpy(float), minlength=len(rows))
    t = gas_t_scores(row, pairs["gas_level"].to_numpy(), pairs["gas_weight"].to_numpy(), len(rows))
    with np.errstate(invalid="ignore", divide="ignore"):
        return rows.assign(goals=n, reached=np.where(n > 0, reached / np.maximum(n, 1), np.nan), gas_t=t, measured=n > 0)


def _row(rows: pd.DataFrame, outcome: str, seed: int, name: str) -> dict[str, object]:
    """One table row: the restricted estimate of `outcome` (rows with a goal due), or the
    counts and why there is none."""
    measured = rows["measured"].to_numpy(bool)
    t = rows["treated"].astype(bool).to_numpy()
    goals = rows["goals"].to_numpy()
    values = rows[outcome].to_numpy(float)
    out: dict[str, object] = counts(rows) | {
        "goals_participants": int(goals[t].sum()),
        "goals_comparison": int(goals[~t].sum()),
        "mean_participants": float(np.nanmean(values[t & measured])) if (t & measured).any() else np.nan,
        "mean_comparison": float(np.nanmean(values[~t & measured])) if (~t & measured).any() else np.nan,
        "share_missing": float(1.0 - measured[t].mean()) if t.any() else np.nan,
    }
    note = too_small(rows)
    if note:
        return out | {"estimate": np.nan, "std_error": np.nan, "ci_low": np.nan, "ci_high": np.nan, "note": note}
    design = outcome_design(rows, name, outcome, ADJUST_GOALS)
    result = fit_effect(design, measured.astype(float), rows["person_id"].to_numpy(), seed)
    return out | figures(result) | {"note": result.note or ""}


def window_effects(rows: pd.DataFrame, seed: int, name: str) -> list[dict[str, object]]:
    """Both outcomes for all rows and each client group (`polku.change.client_groups`)."""
    out: list[dict[str, object]] = []
    for grouping, group, keep in client_groups(rows):
        subset = rows[keep].reset_index(drop=True)
        key = {"grouping": grouping, "client_group": group}
        out += [_row(subset, outcome, seed, name) | key | {"outcome": outcome} for outcome in OUTCOMES]
    return out


def service_goal_effects(
    cohort: pd.DataFrame, goals: pd.DataFrame, *, seed: int = 0
) -> tuple[pd.DataFrame, dict[int, pd.DataFrame]]:
    """The service's effect on reaching goals within 6 and 12 months (`GOAL_EFFECT_COLUMNS`),
    and the analysis rows of each window, for checks against a known truth. `cohort`: the
    service's cohort (`build_cohort`'s frame, or the run's shared one)."""
    code, as_of = cohort.attrs["service_code"], cohort.attrs["as_of"]
    cohort = grouped(cohort, seed)
    table: list[dict[str, object]] = []
    frames: dict[int, pd.DataFrame] = {}
    for months in WINDOWS:
        rows = frames[months] = goal_outcomes(cohort, goals, months, as_of)
        key = {"service_code": code, "months": months}
        table += [row | key for row in window_effects(rows, seed, f"goals {code} {months} months")]
    return typed_frame(pd.DataFrame(table, columns=list(GOAL_EFFECT_COLUMNS)), GOAL_EFFECT_COLUMNS), frames


def store_goal_effects(
    store: Store,
    *,
    seed: int = 0,
    as_of: dt.date | None = None,
    services: list[str] | None = None,
    cohorts: Cohorts | None = None,
) -> pd.DataFrame:
    """`service_goal_effects` for every service with episodes (or `services`), one table;
    `cohorts`: the run's shared cohorts with their client groups
    (`polku.change.client_groups.GroupedCohorts`; built here when not given)."""
    table_of = functools.partial(_goal_table, seed=seed)
    goals = plan_goals(store)
    return per_service(store, table_of, GOAL_EFFECT_COLUMNS, goals, seed=seed, as_of=as_of, services=services, cohorts=cohorts)


def _goal_table(_code: str, cohort: pd.DataFrame, goals: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    return service_goal_effects(cohort, goals, seed=seed)[0]
