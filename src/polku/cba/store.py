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

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from polku.cba.analysis import Assumptions, CostBenefit, Effect, MonteCarlo, TornadoBar, analyse, monte_carlo, tornado
from polku.cba.cohort import employed_gain
from polku.cohort.build import window_days
from polku.fiscal.legislation import Snapshot, legislation
from polku.store.connection import Store

OUTCOME = "employed_12m"
BENEFIT_TYPES = {"earnings_related_allowance": "earnings_related", "basic_unemployment_allowance": "basic",
                 "labour_market_subsidy": "labour_market_subsidy", "none": "none"}
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

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"service": self.service_code, "year": self.year, "note": self.note, "employed": self.employed,
                               "wages_imputed": self.wages_imputed, "costs_missing": self.costs_missing}
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
    scale = legislation().parameter("income_tax.state.scale")
    year = int(pd.to_datetime(starts).dt.year.median())
    return min(max(year, scale.values[0].start.year), scale.last_value_still_valid_on.year)


def service_cost_benefit(store: Store, service_code: str, year: int | None = None, seed: int = 0,
                         assumptions: Assumptions | None = None, draws: int | None = None) -> ServiceCostBenefit:
    from polku.impact.by_service import service_estimates

    estimates, frame = service_estimates(store, service_code, outcome=OUTCOME, seed=seed, by_provider=False)
    return cost_benefit_of(store, service_code, estimates, frame, year, seed, assumptions, draws)


def cost_benefit_of(store: Store, service_code: str, estimates: list[Any], frame: pd.DataFrame, year: int | None = None,
                    seed: int = 0, assumptions: Assumptions | None = None, draws: int | None = None) -> ServiceCostBenefit:
    """The analysis from a service's estimates over the store (`service_estimates` on
    `employed_12m`: the service-level row first) and their analysis rows."""
    effect_on_rate = estimates[0].result
    participants = frame[frame["treated"]].reset_index(drop=True)
    year = year or rules_year(participants["ref_date"]) if len(participants) else year or 2025
    if effect_on_rate.estimate is None:
        return ServiceCostBenefit(service_code, year, None, note=effect_on_rate.note)
    n = len(participants)
    effect = Effect.from_rate(n, effect_on_rate.estimate, effect_on_rate.ci_low, effect_on_rate.ci_high)
    cost, missing = _cost(store, participants)
    employed = _employed_persons(store, participants[participants[OUTCOME] == 1], legislation().year(year))
    if employed.empty:
        return ServiceCostBenefit(service_code, year, None, note="no participant found work in the window")
    gain, simulated = employed_gain(employed, year, source=f"store: {service_code}")
    a = assumptions or Assumptions()
    gain_by = {c.removeprefix("gain_"): float(simulated[c].mean()) for c in simulated.columns
               if c.startswith("gain_") and c not in ("gain_total", "gain_without_pension")}
    return ServiceCostBenefit(
        service_code, year, analyse(n, effect, gain, cost, a), monte_carlo(n, effect, gain, cost, a, draws, seed),
        tornado(n, effect, gain, cost, a), len(employed), int(simulated["wage_imputed"].sum()), missing, gain_by,
        note=f"{missing} of {n} episodes without a recorded cost (counted at the mean of the others)" if missing else None,
        effect=effect,
    )


def store_cost_benefit(store: Store, services: list[str] | None = None, **options: Any) -> list[ServiceCostBenefit]:
    codes = services or [c for (c,) in store.con.execute(
        "SELECT DISTINCT service_code FROM service_episode WHERE completion_status <> 'did_not_start' ORDER BY 1").fetchall()]
    return [service_cost_benefit(store, code, **options) for code in codes]


def _cost(store: Store, participants: pd.DataFrame) -> tuple[float, int]:
    """The participants' episodes' recorded cost; episodes without one count at the mean."""
    con = store.con.cursor()
    try:
        con.register("cohort_episodes", participants[["episode_id"]])
        total, known = con.execute("SELECT coalesce(sum(e.cost), 0), count(e.cost) FROM cohort_episodes k "
                                   "JOIN service_episode e USING (episode_id)").fetchone()
    finally:
        con.close()
    missing = len(participants) - int(known)
    mean = float(total) / known if known else 0.0
    return float(total) + missing * mean, missing


def _employed_persons(store: Store, employed: pd.DataFrame, p: Snapshot) -> pd.DataFrame:
    """One row per employed participant in the form `polku.cba.cohort` takes: the first
    open-market job in the window and the benefits on the day before the start."""
    if employed.empty:
        return pd.DataFrame()
    keys = employed[["person_id", "ref_date"]].assign(window_end=employed["ref_date"] + pd.to_timedelta(window_days(12), unit="D"))
    con = store.con.cursor()
    try:
        con.register("employed_keys", keys)
        jobs = con.execute("""
            SELECT k.person_id, k.ref_date, arg_min(j.weekly_hours, j.start_date) AS weekly_hours,
                   arg_min(j.monthly_wage, j.start_date) AS monthly_wage
            FROM employed_keys k JOIN employment_spell j
              ON j.person_id = k.person_id AND NOT j.subsidised AND j.start_date < k.window_end
             AND coalesce(j.end_date, DATE '9999-12-31') >= k.ref_date
            GROUP BY ALL""").df()
        benefits = con.execute("""
            SELECT k.person_id, k.ref_date,
                   max(b.amount) FILTER (WHERE b.benefit_type = 'earnings_related_allowance' AND b.amount_unit = 'day') AS earnings_related_amount,
                   coalesce(sum(b.amount) FILTER (WHERE b.benefit_type = 'housing_allowance' AND b.amount_unit = 'month'), 0) AS housing_allowance_monthly,
                   coalesce(sum(b.amount) FILTER (WHERE b.benefit_type = 'social_assistance' AND b.amount_unit = 'month'), 0) AS social_assistance_monthly
            FROM employed_keys k LEFT JOIN benefit_spell b
              ON b.person_id = k.person_id AND b.start_date < k.ref_date AND coalesce(b.end_date, DATE '9999-12-31') >= CAST(k.ref_date AS DATE) - 1
            GROUP BY ALL""").df()
    finally:
        con.close()
    rows = employed.merge(jobs, on=["person_id", "ref_date"], how="left").merge(benefits, on=["person_id", "ref_date"], how="left")
    types = rows["benefit"].map(BENEFIT_TYPES).fillna("none")
    daily_wage = daily_wage_from_allowance(rows["earnings_related_amount"].to_numpy(float), p)
    earnings_related = (types == "earnings_related") & ~np.isnan(daily_wage)
    return pd.DataFrame({
        "person_id": rows["person_id"].astype(str), "age": rows["age"].astype(float), "sex": rows["sex"].astype(str),
        "education_level": rows["education_level"].astype(str),
        "weekly_hours": rows["weekly_hours"].astype(float).fillna(37.5),
        "annual_wage_income": rows["monthly_wage"].astype(float) * 12,
        "unemployment_benefit_type": np.where((types == "earnings_related") & ~earnings_related, "basic", types),
        "earnings_related_daily_wage_basis": np.where(earnings_related, daily_wage, 0.0),
        "housing_allowance_monthly": rows["housing_allowance_monthly"].fillna(0.0).astype(float),
        "social_assistance_monthly": rows["social_assistance_monthly"].fillna(0.0).astype(float),
        "unemployment_benefit_days": 0,
    })


def daily_wage_from_allowance(amount: np.ndarray, p: Snapshot) -> np.ndarray:
    """The daily wage behind a full earnings-related daily allowance: the formula of
    `polku.fiscal.rules.unemployment` inverted (NaN where there is no amount). Where 90 %
    of the wage caps the allowance, the amount is 0.9 x the wage, and the formula's wage is
    lower, hence the maximum. A stepped-down amount gives too low a wage."""
    e = p.unemployment.earnings_related
    basic = p.unemployment.basic_allowance.daily_amount
    break_point = e.break_point_multiplier * basic / e.days_per_month_for_daily_wage
    at_break = basic + e.rate_below_break_point * (break_point - basic)
    below = basic + (amount - basic) / e.rate_below_break_point
    above = break_point + (amount - at_break) / e.rate_above_break_point
    wage = np.maximum(np.where(amount <= at_break, below, above), amount / e.maximum_share_of_daily_wage)
    return np.where(np.isnan(amount), np.nan, wage)
