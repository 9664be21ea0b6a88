"""Cost-benefit analysis of each service over the store.

For a service: the effect on employment within 12 months is the AIPW estimate of
`polku estimate` (participants against job seekers registered the same day, later
referrals censored); times the participants, it gives the additional employments with
their interval. The fiscal gain of one employment is the mean over the participants who
found work, each valued at their own first open-market job in the window (its weekly
hours and monthly wage; the wage imputed where the record has none) against a year on the
benefit they were on the day before the start (type; for the earnings-related allowance
the daily wage behind the daily amount paid), with the housing allowance and social
assistance they received that day. The programme cost is the episodes' recorded cost.

Assumed: the additional employments are like the employments observed (their hours, wages
and benefits), and a job found in the window lasts the year, as seed 000 assumes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd

from polku.cba.analysis import Assumptions, CostBenefit, Effect, FiscalGain, MonteCarlo, TornadoBar, analyse, monte_carlo, tornado
from polku.cba.cohort import employed_gain, gain_by_payer
from polku.cohort.build import services_with_episodes, window_days
from polku.fiscal.legislation import Snapshot, legislation
from polku.fiscal.person_year import numeric_column
from polku.fiscal.rules.unemployment import break_point_daily
from polku.fiscal.wages import FULL_TIME_HOURS
from polku.store.connection import Store

OUTCOME = "employed_12m"
BENEFIT_TYPES = {
    "earnings_related_allowance": "earnings_related",
    "basic_unemployment_allowance": "basic",
    "labour_market_subsidy": "labour_market_subsidy",
    "none": "none",
}
"""The store's unemployment benefit codes as the fiscal rules name them."""


@dataclass(frozen=True)
class ServiceCostBenefit:
    service_code: str
    year: int
    result: CostBenefit | None
    monte_carlo: MonteCarlo | None = None
    tornado: list[TornadoBar] = field(default_factory=list)
    employed: int = 0
    wages_imputed: int = 0
    costs_missing: int = 0
    gain_by: dict[str, float] = field(default_factory=dict)
    note: str | None = None
    effect: Effect | None = None
    in_estimate: int | None = None  # participants the effect was estimated on (after trimming)
    reason: str | None = None  # why there is no result: too_few, no_cost, no_employed
    fallbacks: int = 0  # earnings-related allowances valued as the basic allowance (no daily amount)
    assumptions: Assumptions | None = None
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "service": self.service_code,
            "year": self.year,
            "note": self.note,
            "employed": self.employed,
            "wages_imputed": self.wages_imputed,
            "costs_missing": self.costs_missing,
            "participants_in_estimate": self.in_estimate,
            "fallbacks": self.fallbacks,
            "seed": self.seed,
            "assumptions": None if self.assumptions is None else self.assumptions.__dict__,
        }
        if self.result is not None:
            out |= self.result.to_dict() | {"gain_per_employment_by": self.gain_by, "tornado": [b.__dict__ for b in self.tornado]}
        if self.effect is not None:
            out |= {"additional_ci_low": self.effect.ci_low, "additional_ci_high": self.effect.ci_high}
        if self.monte_carlo is not None:
            out["monte_carlo"] = self.monte_carlo.__dict__
        return out


def rules_year(starts: pd.Series) -> int:
    """The year whose rules value a cohort: its median start year, within the years the
    parameters cover (the earliest or latest covered year outside them)."""
    low, high = covered_years()
    return min(max(int(pd.to_datetime(starts).dt.year.median()), low), high)


def covered_years() -> tuple[int, int]:
    """The first and last year the tax and benefit parameters cover."""
    scale = legislation().parameter("income_tax.state.scale")
    return scale.values[0].start.year, scale.last_value_still_valid_on.year


def service_cost_benefit(
    store: Store,
    service_code: str,
    year: int | None = None,
    seed: int = 0,
    assumptions: Assumptions | None = None,
    draws: int | None = None,
) -> ServiceCostBenefit:
    from polku.pipeline.by_service import service_estimates

    estimates, frame = service_estimates(store, service_code, outcome=OUTCOME, seed=seed, by_provider=False)
    return cost_benefit_of(store, service_code, estimates, frame, year, seed, assumptions, draws)


def cost_benefit_of(
    store: Store,
    service_code: str,
    estimates: list[Any],
    frame: pd.DataFrame,
    year: int | None = None,
    seed: int = 0,
    assumptions: Assumptions | None = None,
    draws: int | None = None,
) -> ServiceCostBenefit:
    """The analysis from a service's estimates over the store (`service_estimates` on
    `employed_12m`: the service-level row first) and their analysis rows.

    The effect is estimated on the participants with comparable comparison people (after
    trimming, `in_estimate`); it is applied to all the followed participants, whose
    episodes make the cost, and the note says so when the two differ."""
    effect_on_rate = estimates[0].result
    participants = frame[frame["treated"]].reset_index(drop=True)
    year = year if year is not None else rules_year(participants["ref_date"]) if len(participants) else covered_years()[1]
    a = assumptions or Assumptions()
    base = {"assumptions": a, "seed": seed, "in_estimate": effect_on_rate.n_treated}
    if effect_on_rate.estimate is None:
        return ServiceCostBenefit(service_code, year, None, note=effect_on_rate.note, reason="too_few", **base)
    n = len(participants)
    effect = Effect.from_rate(n, effect_on_rate.estimate, effect_on_rate.ci_low, effect_on_rate.ci_high)
    cost, missing = _cost(store, participants)
    if cost is None:
        return ServiceCostBenefit(
            service_code, year, None, note="no episode has a recorded cost", costs_missing=n, reason="no_cost", **base
        )
    employed, fallbacks = _employed_persons(store, participants[participants[OUTCOME] == 1])
    if employed.empty:
        return ServiceCostBenefit(
            service_code, year, None, note="no participant found work in the window", reason="no_employed", **base
        )
    gain, simulated = employed_gain(employed, year, source=f"store: {service_code}")
    notes = []
    if n != effect_on_rate.n_treated:
        notes.append(
            f"the effect estimated on {effect_on_rate.n_treated} participants with comparable comparison people is "
            f"applied to all {n}"
        )
    if missing:
        notes.append(f"{missing} of {n} episodes without a recorded cost, counted at the mean of the others")
    if fallbacks:
        notes.append(f"{fallbacks} earnings-related allowances without a daily amount valued as the basic allowance")
    return analysed_row(
        service_code,
        year,
        n,
        effect,
        gain,
        simulated,
        cost,
        a,
        seed,
        draws,
        costs_missing=missing,
        note="; ".join(notes) or None,
        fallbacks=fallbacks,
        in_estimate=effect_on_rate.n_treated,
    )


def analysed_row(
    code: str,
    year: int,
    participants: int,
    effect: Effect,
    gain: FiscalGain,
    simulated: pd.DataFrame,
    cost: float,
    assumptions: Assumptions,
    seed: int = 0,
    draws: int | None = None,
    **extra: Any,
) -> ServiceCostBenefit:
    """The point result, Monte Carlo and tornado of one cohort, with the employed rows'
    counts and the gain by payer (over the store and from a file alike)."""
    args = (participants, effect, gain, cost, assumptions)
    return ServiceCostBenefit(
        code,
        year,
        analyse(*args),
        monte_carlo(*args, draws=draws, seed=seed),
        tornado(*args),
        len(simulated),
        int(simulated["wage_imputed"].sum()),
        gain_by=gain_by_payer(simulated),
        effect=effect,
        assumptions=assumptions,
        seed=seed,
        **extra,
    )


def store_cost_benefit(store: Store, services: list[str] | None = None, **options: Any) -> list[ServiceCostBenefit]:
    """`service_cost_benefit` for every service with episodes (as `polku estimate`), or those asked for."""
    codes = services or services_with_episodes(store)
    return [service_cost_benefit(store, code, **options) for code in codes]


def _cost(store: Store, participants: pd.DataFrame) -> tuple[float | None, int]:
    """The participants' episodes' recorded cost, episodes without one at the mean of the
    others (None when none has a cost)."""
    episodes = store.table("service_episode")
    keys = ibis.memtable({"episode_id": participants["episode_id"].tolist()}, schema={"episode_id": "string"})
    joined = keys.join(episodes, "episode_id")
    row = joined.aggregate(total=joined.cost.sum().fill_null(0), known=joined.cost.count()).to_pyarrow().to_pylist()[0]
    total, known = row["total"], row["known"]
    if not known:
        return None, len(participants)
    missing = len(participants) - int(known)
    return float(total) + missing * float(total) / known, missing


def _first_by(rows: ibis.Table, group: list[str], order: list[Any]) -> ibis.Table:
    """The first row of each `group` in `order`."""
    ranked = rows.mutate(_n=ibis.row_number().over(group_by=group, order_by=order))
    return ranked.filter(ranked._n == 0).drop("_n")


def _first_jobs(store: Store, keys: ibis.Table) -> ibis.Table:
    """Each key's first open-market job overlapping the window: hours and wage from one row."""
    j = store.table("employment_spell")
    joined = keys.join(
        j,
        [
            j.person_id == keys.person_id,
            ~j.subsidised,
            j.start_date < keys.window_end,
            j.end_date.isnull() | (j.end_date >= keys.ref_date),
        ],
    )
    rows = joined.select(
        keys.key, j.start_date, j.end_date, j.employment_id, j.weekly_hours, monthly_wage=j.monthly_wage.cast("float64")
    )
    order = ["start_date", ibis.asc("end_date", nulls_first=False), "employment_id"]
    return _first_by(rows, ["key"], order).select("key", "weekly_hours", "monthly_wage")


BENEFITS_AT_START = ("earnings_related_allowance", "housing_allowance", "social_assistance")


def _benefits_at_start(store: Store, keys: ibis.Table) -> ibis.Table:
    """Each key's latest spell of each benefit type in force on the day before the start."""
    b = store.table("benefit_spell")
    joined = keys.join(
        b,
        [
            b.person_id == keys.person_id,
            b.start_date < keys.ref_date,
            b.end_date.isnull() | (b.end_date >= keys.day_before),
            b.benefit_type.isin(BENEFITS_AT_START),
        ],
    )
    rows = joined.select(keys.key, b.benefit_type, b.amount_unit, b.start_date, b.benefit_id, amount=b.amount.cast("float64"))
    order = [ibis.desc("start_date"), "benefit_id"]
    return _first_by(rows, ["key", "benefit_type"], order).select("key", "benefit_type", "amount", "amount_unit")


def _per_key(store: Store, employed: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(first jobs, benefits) of each distinct (person_id, ref_date) of `employed`, with
    those two columns as `employed` holds them (for the merges)."""
    keys = employed[["person_id", "ref_date"]].drop_duplicates().reset_index(drop=True)
    ref = pd.to_datetime(keys["ref_date"]).dt.date
    table = ibis.memtable(
        {
            "key": range(len(keys)),
            "person_id": keys["person_id"].astype(str).tolist(),
            "ref_date": ref.tolist(),
            "day_before": (ref - dt.timedelta(days=1)).tolist(),
            "window_end": (ref + dt.timedelta(days=window_days(12))).tolist(),
        }
    ).mutate(person_id=ibis._.person_id.cast("uuid"))
    jobs, benefits = (frame.execute() for frame in (_first_jobs(store, table), _benefits_at_start(store, table)))
    return _with_keys(keys, jobs), _with_keys(keys, benefits)


def _with_keys(keys: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    return keys.iloc[rows["key"].to_numpy()].reset_index(drop=True).join(rows.drop(columns="key"))


def _employed_persons(store: Store, employed: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per employed participant in the form `polku.cba.cohort` takes (the first
    open-market job in the window; the benefits on the day before the start), and how
    many earnings-related allowances had no usable daily amount."""
    if employed.empty:
        return pd.DataFrame(), 0
    jobs, benefits = _per_key(store, employed)
    days_per_month = legislation().year(covered_years()[1]).unemployment.days_per_month
    per_day = np.where(benefits["amount_unit"] == "month", benefits["amount"] / days_per_month, benefits["amount"])
    monthly = np.where(benefits["amount_unit"] == "day", benefits["amount"] * days_per_month, benefits["amount"])
    benefits = benefits.assign(per_day=per_day, monthly=monthly).pivot_table(
        index=["person_id", "ref_date"], columns="benefit_type", values=["per_day", "monthly"], aggfunc="first"
    )
    benefits.columns = [f"{value}_{kind}" for value, kind in benefits.columns]
    rows = employed.merge(jobs, on=["person_id", "ref_date"], how="left").merge(
        benefits.reset_index(), on=["person_id", "ref_date"], how="left"
    )
    column = lambda name: numeric_column(rows, name, np.nan)  # noqa: E731
    types = rows["benefit"].map(BENEFIT_TYPES).fillna("none")
    daily_wage = _daily_wages(column("per_day_earnings_related_allowance").to_numpy(float), rows["ref_date"])
    earnings_related = (types == "earnings_related").to_numpy()
    fallback = earnings_related & np.isnan(daily_wage)
    wage = column("monthly_wage")
    return pd.DataFrame(
        {
            "person_id": rows["person_id"].astype(str),
            "age": rows["age"].astype(float),
            "sex": rows["sex"].astype(str),
            "education_level": rows["education_level"].astype(str),
            "weekly_hours": rows["weekly_hours"].astype(float).fillna(FULL_TIME_HOURS),
            "annual_wage_income": wage.where(wage > 0) * 12,  # a wage of 0 or none is imputed
            "unemployment_benefit_type": np.where(fallback, "basic", types),
            "earnings_related_daily_wage_basis": np.where(earnings_related & ~fallback, daily_wage, 0.0),
            "housing_allowance_monthly": column("monthly_housing_allowance").fillna(0.0),
            "social_assistance_monthly": column("monthly_social_assistance").fillna(0.0),
        }
    ), int(fallback.sum())


def _daily_wages(amounts: np.ndarray, ref_dates: pd.Series) -> np.ndarray:
    """Each amount inverted under the rules of the day it was paid (the day before the
    start), or of the earliest day the parameters cover for earlier days."""
    first = np.datetime64(dt.date(covered_years()[0], 1, 1))
    days = np.maximum(pd.to_datetime(ref_dates).to_numpy().astype("datetime64[D]") - 1, first)
    out = np.full(len(amounts), np.nan)
    for day in np.unique(days):
        rows = days == day
        out[rows] = daily_wage_from_allowance(amounts[rows], legislation().on(day.astype(dt.date)))
    return out


def daily_wage_from_allowance(amount: np.ndarray, p: Snapshot) -> np.ndarray:
    """The daily wage behind a full earnings-related daily allowance: the formula of
    `polku.fiscal.rules.unemployment` inverted (NaN where there is no amount). Where 90 %
    of the wage caps the allowance, the amount is 0.9 x the wage, and the formula's wage is
    lower, hence the maximum. A stepped-down amount gives too low a wage."""
    e = p.unemployment.earnings_related
    basic = p.unemployment.basic_allowance.daily_amount
    break_point = break_point_daily(p)
    at_break = basic + e.rate_below_break_point * (break_point - basic)
    below = basic + (amount - basic) / e.rate_below_break_point
    above = break_point + (amount - at_break) / e.rate_above_break_point
    wage = np.maximum(np.where(amount <= at_break, below, above), amount / e.maximum_share_of_daily_wage)
    return np.where(np.isnan(amount), np.nan, wage)
