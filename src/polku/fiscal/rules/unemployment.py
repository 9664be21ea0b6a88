"""Unemployment benefits: basic allowance, labour market subsidy, earnings-related allowance,
the step-down of long spells, child increases and the adjusted (soviteltu) benefit.

Amounts are per paid day (five a week; 21.5 a month) and depend on the date: child
increases ended on 1 April 2024, the step-down began on 2 September 2024, and from
1 May 2026 the general support (yleistuki) replaced the basic allowance and the labour
market subsidy at the same daily amount. `annual_unemployment_benefit` therefore
evaluates the daily rules on the 15th of each month and spreads a year's paid days evenly
over its months.

Inputs per person: `benefit_type` (a `BENEFIT_TYPES` code), `children` (minors),
`daily_wage` (the earnings-related allowance's daily wage, päiväpalka, as the fund
decided it: the monthly wage of the basis after the statutory deduction, divided by 21.5;
0 for other benefits), and for the year: `benefit_days`, `benefit_days_used_before`
(paid days of the same spell before the year, for the step-down), `step_down_applies`
(0 for a spell whose employment condition was met before the step-down came into force,
see `polku.fiscal.person_year`) and `adjusted_benefit_months`.

Approximations (docs/fiscal.md): the labour market subsidy's means test and the
yleistuki's test of other income are not applied (the full amount is paid); the
earnings-related allowance's maximum duration is the caller's to respect through
`benefit_days`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from polku.fiscal.legislation import Legislation, Reading, Snapshot
from polku.fiscal.rules import Columns, Rule, positive, run

BENEFIT_TYPES = {"none": 0, "basic": 1, "labour_market_subsidy": 2, "earnings_related": 3}
"""Codes of `benefit_type` (the CLI's `unemployment_benefit_type` values)."""


def child_increase(c: Columns, p: Snapshot) -> np.ndarray:
    """Daily child increase (lapsikorotus) for minor children; 0 from 1 April 2024."""
    k = p.unemployment.child_increase
    n = c["children"]
    return np.select([n >= 3, n == 2, n == 1], [k.three_or_more_children, k.two_children, k.one_child], 0.0)


def basic_daily_amount(c: Columns, p: Snapshot) -> np.ndarray:
    """The day's flat amount by benefit type (basic allowance or labour market subsidy;
    the earnings-related allowance's basic part)."""
    t = c["benefit_type"]
    basic = p.unemployment.basic_allowance.daily_amount
    subsidy = p.unemployment.labour_market_subsidy.daily_amount
    return np.select([t == BENEFIT_TYPES["labour_market_subsidy"], t > 0], [subsidy, basic], 0.0)


def break_point_daily(p: Snapshot) -> float:
    """The earnings-related allowance's break point (taitekohta) as a daily wage: the
    multiplier (95) times the basic daily amount a month, over the days of a month."""
    e = p.unemployment.earnings_related
    return e.break_point_multiplier * p.unemployment.basic_allowance.daily_amount / e.days_per_month_for_daily_wage


def earnings_related_part(c: Columns, p: Snapshot) -> np.ndarray:
    """Earnings-related part (ansio-osa): 45 % of the daily wage above the basic part up to
    the break point (95 times the basic amount a month), 20 % above it."""
    e = p.unemployment.earnings_related
    basic = p.unemployment.basic_allowance.daily_amount
    break_point = break_point_daily(p)
    wage = np.where(c["benefit_type"] == BENEFIT_TYPES["earnings_related"], c["daily_wage"], 0.0)
    part = e.rate_below_break_point * positive(np.minimum(wage, break_point) - basic)
    return part + e.rate_above_break_point * positive(wage - break_point)


def floor_daily_amount(c: Columns, p: Snapshot) -> np.ndarray:
    """The least an allowance pays a day: the basic amount with the child increase; an
    earnings-related allowance, however capped or stepped down, never pays less."""
    return np.where(c["benefit_type"] > 0, c["basic_daily_amount"] + c["child_increase"], 0.0)


def full_daily_amount(c: Columns, p: Snapshot) -> np.ndarray:
    """The full daily allowance before any step-down: the basic amount, the earnings part
    and the child increase; the earnings-related allowance at most 90 % of the daily wage
    but never under the floor."""
    amount = c["floor_daily_amount"] + c["earnings_related_part"]
    earnings_related = c["benefit_type"] == BENEFIT_TYPES["earnings_related"]
    ceiling = np.maximum(p.unemployment.earnings_related.maximum_share_of_daily_wage * c["daily_wage"], c["floor_daily_amount"])
    return np.where(earnings_related, np.minimum(amount, ceiling), amount)


def paid_days(c: Columns, p: Snapshot) -> np.ndarray:
    """The year's paid days: full days and the adjusted months' days (counted as full days,
    for the step-down and for the municipality's financing share)."""
    return c["benefit_days"] + c["adjusted_benefit_months"] * p.unemployment.days_per_month


def _step_down_bands(c: Columns, p: Snapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares of the year's paid days at 100 %, at the first and at the second step-down
    share, given the spell's days paid before the year. Days of adjusted benefit count as
    full days (the law converts them to fewer; an approximation that steps down a little
    early). Zero for spells the step-down does not apply to (`step_down_applies` 0)."""
    s = p.unemployment.step_down
    days = paid_days(c, p)
    start = c["benefit_days_used_before"]
    end = start + days
    applies = (c["benefit_type"] == BENEFIT_TYPES["earnings_related"]) & (c["step_down_applies"] > 0) & (days > 0)
    safe = np.where(days > 0, days, 1.0)
    first = np.where(applies, positive(np.minimum(end, s.second_after_days) - np.maximum(start, s.first_after_days)) / safe, 0.0)
    second = np.where(applies, positive(end - np.maximum(start, s.second_after_days)) / safe, 0.0)
    return 1.0 - first - second, first, second


def step_down_share(c: Columns, p: Snapshot) -> np.ndarray:
    """Average share of the full earnings-related allowance over the year's paid days after
    the step-down (porrastus: 80 % after 40 paid days, 75 % after 170; before the floor).
    1 for other benefits and for spells the step-down does not apply to."""
    s = p.unemployment.step_down
    full, first, second = _step_down_bands(c, p)
    return full + s.first_share * first + s.second_share * second


def daily_amount(c: Columns, p: Snapshot) -> np.ndarray:
    """The day's allowance averaged over the year's paid days, each stepped-down day at
    least the floor."""
    s = p.unemployment.step_down
    full, first, second = _step_down_bands(c, p)
    amount, floor = c["full_daily_amount"], c["floor_daily_amount"]
    return full * amount + first * np.maximum(s.first_share * amount, floor) + second * np.maximum(s.second_share * amount, floor)


def adjusted_monthly_amount(c: Columns, p: Snapshot) -> np.ndarray:
    """Adjusted (soviteltu) benefit for a month with earnings `monthly_earnings`: the full
    month's benefit less 50 % of the earnings above the protected amount. An earnings-
    related allowance and the earnings together may not exceed the wage of the
    allowance's basis (the 100 % rule, without the protected amount), but the allowance is
    never less than the adjusted basic allowance would be."""
    a = p.unemployment.adjusted
    per_month = p.unemployment.days_per_month
    reduction = a.earnings_reduction_rate * positive(c["monthly_earnings"] - a.protected_earnings)
    adjusted = positive(c["daily_amount"] * per_month - reduction)
    basis = c["daily_wage"] * per_month / (1.0 - p.unemployment.earnings_related.wage_basis_deduction)
    capped = np.minimum(adjusted, positive(a.maximum_share_of_wage_basis * basis - c["monthly_earnings"]))
    floor = positive(c["floor_daily_amount"] * per_month - reduction)
    return np.where(c["benefit_type"] == BENEFIT_TYPES["earnings_related"], np.maximum(capped, floor), adjusted)


TTL = "Työttömyysturvalaki 1290/2002"
DAILY = (
    Rule("child_increase", child_increase, f"{TTL}, 6 luku 3 § (repealed 1.4.2024)"),
    Rule("basic_daily_amount", basic_daily_amount, f"{TTL}, 6 luku 1 § and 7 luku 1 §"),
    Rule("earnings_related_part", earnings_related_part, f"{TTL}, 6 luku 2 §"),
    Rule("floor_daily_amount", floor_daily_amount, f"{TTL}, 6 luku 2 §"),
    Rule("full_daily_amount", full_daily_amount, f"{TTL}, 6 luku 2 §"),
    Rule("step_down_share", step_down_share, f"{TTL}, 6 luku 2 a § (from 2.9.2024)"),
    Rule("daily_amount", daily_amount, TTL),
)
ADJUSTED = (*DAILY, Rule("adjusted_monthly_amount", adjusted_monthly_amount, f"{TTL}, 4 luku 3 §"))
RULES = ADJUSTED


def step_down_start(legislation: Legislation) -> dt.date:
    """The date the step-down came into force: the first value of its first share under 1."""
    return next(v.start for v in legislation.parameter("unemployment.step_down.first_share").values if v.value < 1)


def monthly_dates(year: int) -> list[dt.date]:
    """The 15th of each month: where a year's monthly rules are read."""
    return [dt.date(year, month, 15) for month in range(1, 13)]


def annual_unemployment_benefit(
    columns: Columns, year: int, legislation: Legislation, trace: dict[str, list[Reading]] | None = None
) -> np.ndarray:
    """The year's unemployment benefit: `benefit_days` full days plus
    `adjusted_benefit_months` months of adjusted benefit (the year's wage earned in those
    months, evenly), the amounts averaged over the year's months (each
    month under its own rules). With `trace`, the parameters read are recorded under the
    name `unemployment_benefit`."""
    reads = trace.setdefault("unemployment_benefit", []) if trace is not None else None
    months = np.asarray(columns["adjusted_benefit_months"], dtype=float)
    wage = np.asarray(columns["wage_income"], dtype=float)
    month = {**columns, "monthly_earnings": wage / np.where(months > 0, months, 12.0)}
    daily: np.ndarray | float = 0.0
    adjusted: np.ndarray | float = 0.0
    for date, months_in_force in _regimes(year, legislation).items():
        result = run(ADJUSTED, dict(month), legislation.on(date).recording(reads))
        daily = daily + result["daily_amount"] * months_in_force / 12
        adjusted = adjusted + result["adjusted_monthly_amount"] * months_in_force / 12
    return daily * np.asarray(columns["benefit_days"], dtype=float) + adjusted * np.asarray(
        columns["adjusted_benefit_months"], dtype=float
    )


def _regimes(year: int, legislation: Legislation) -> dict[dt.date, int]:
    """The year's months grouped by the unemployment parameters in force (a year has one
    to three such regimes): a month date standing for each, with its number of months.
    Evaluating each regime once, not each month, keeps a million person-years fast."""
    parameters = [p for n, p in legislation.parameters.items() if n.startswith("unemployment.")]
    regimes: dict[tuple, dt.date] = {}
    counts: dict[dt.date, int] = {}
    for date in monthly_dates(year):
        key = tuple(max((v.start for v in p.values if v.start <= date), default=None) for p in parameters)
        first = regimes.setdefault(key, date)
        counts[first] = counts.get(first, 0) + 1
    return counts
