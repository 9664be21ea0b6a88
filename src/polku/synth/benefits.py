"""Benefit spells that follow each client's status over time.

- Registered unemployed: the unemployment benefit the spell began with (earnings-related
  allowance from the fund with the 2024-2026 formula of fiscal-parameters.md §2.3, the
  basic allowance or the labour market subsidy from Kela), after the waiting period, split
  where the amount changes (new year, step-down after 40 and 170 paid days, exhaustion of
  the maximum days, after which the labour market subsidy follows if the means test is met).
- Part-time work after an entitled spell: the adjusted benefit (`adjusted=true`) beside
  the job, reduced by half the wage; never beside full-time or subsidised work.
- Housing allowance and social assistance during registration for some; sickness or
  rehabilitation allowance before registration; partial disability pensions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from polku.synth import codes
from polku.synth.area import Area
from polku.synth.params import value
from polku.synth.records import NO_DAY
from polku.synth.services import AVERAGE_MONTH_DAYS
from polku.synth.timeline import day_number, to_dates

TYPES = (
    "basic_unemployment_allowance",
    "labour_market_subsidy",
    "earnings_related_allowance",
    "housing_allowance",
    "social_assistance",
    "sickness_allowance",
    "rehabilitation_allowance",
    "partial_disability_pension",
)
PAYERS = ("kela", "unemployment_fund", "municipality", "pension_provider")
UNITS = ("day", "month")
BASIC, SUBSIDY, EARNINGS, HOUSING, ASSISTANCE, SICKNESS, REHABILITATION, PENSION = range(8)
KELA, FUND, MUNICIPALITY, PENSION_PROVIDER = range(4)
_BY_ENTITLEMENT = {codes.BENEFIT_EARNINGS: EARNINGS, codes.BENEFIT_BASIC: BASIC, codes.BENEFIT_SUBSIDY: SUBSIDY}


@dataclass
class Spells:
    """Benefit spells accumulated part by part (arrays of equal length per part)."""

    parts: list[dict[str, np.ndarray]] = field(default_factory=list)

    def add(
        self,
        person: np.ndarray,
        kind: np.ndarray | int,
        payer: np.ndarray | int,
        amount: np.ndarray,
        unit: int,
        start: np.ndarray,
        end: np.ndarray,
        adjusted: bool = False,
    ) -> None:
        """Append spells; scalars apply to every spell of the part."""
        n = len(person)
        self.parts.append(
            {
                "person": np.asarray(person, dtype=np.int64),
                "kind": np.broadcast_to(kind, n).astype(np.int8),
                "payer": np.broadcast_to(payer, n).astype(np.int8),
                "amount": np.round(np.asarray(amount, dtype=np.float64), 2),
                "unit": np.broadcast_to(unit, n).astype(np.int8),
                "start": np.asarray(start, dtype=np.int64),
                "end": np.asarray(end, dtype=np.int64),
                "adjusted": np.broadcast_to(adjusted, n).astype(bool),
            }
        )

    def frame(self) -> dict[str, np.ndarray]:
        merged = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        order = np.lexsort((merged["kind"], merged["start"], merged["person"]))
        return {k: v[order] for k, v in merged.items()}


def _by_year(path: str, years: np.ndarray) -> np.ndarray:
    table = value(path)
    lo, hi = min(table), max(table)
    return np.array([table[int(y)] for y in np.clip(years, lo, hi)], dtype=np.float64) if len(years) else np.zeros(0)


def year_of(days: np.ndarray) -> np.ndarray:
    return to_dates(days).astype("datetime64[Y]").astype(np.int64) + 1970


def earnings_related_daily(wage_basis: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Full earnings-related daily allowance (fiscal-parameters.md §2.3 steps 1-3)."""
    basic = _by_year("benefits.basic_daily_amount", years)
    days = value("benefits.days_per_month")
    daily = wage_basis * (1 - _by_year("benefits.wage_basis_deduction", years)) / days
    break_point = value("benefits.break_point_multiplier") * basic / days
    full = basic + 0.45 * (np.minimum(daily, break_point) - basic) + 0.20 * np.maximum(0.0, daily - break_point)
    return np.maximum(np.minimum(full, 0.9 * daily), basic)


def _breaks(paid_from: np.ndarray, kind: np.ndarray, days_used: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Days where a spell's unemployment benefit may change, clipped to the paid period."""
    rate = value("benefits.days_per_month") / AVERAGE_MONTH_DAYS
    insured = kind != SUBSIDY
    exhaust = paid_from + np.ceil(np.maximum(value("benefits.maximum_days") - days_used, 0) / rate)
    step = value("benefits.step_down")
    steps = insured & (kind == EARNINGS) & (paid_from >= day_number(step["from"]))
    at = [paid_from + np.ceil(np.maximum(step[k] - days_used, 0) / rate) for k in ("after_days_80", "after_days_75")]
    firsts = [day_number(f"{y}-01-01") for y in range(2021, 2030)]
    far = stop + 1
    columns = [paid_from, np.where(insured, exhaust, far), *[np.where(steps, a, far) for a in at], far]
    columns += [np.full(len(stop), f) for f in firsts]
    return np.sort(np.clip(np.column_stack(columns).astype(np.int64), paid_from[:, None], far[:, None]), axis=1)


def _amounts(kind: np.ndarray, paid: np.ndarray, wage: np.ndarray, start: np.ndarray, after_step: bool) -> np.ndarray:
    years = year_of(start)
    basic = _by_year("benefits.basic_daily_amount", years)
    step = value("benefits.step_down")
    factor = np.where(paid >= step["after_days_75"], 0.75, np.where(paid >= step["after_days_80"], 0.80, 1.0))
    full = earnings_related_daily(wage, years)
    stepped = np.where(after_step, np.maximum(basic, factor * full), full)
    return np.where(kind == EARNINGS, stepped, basic)


def _merge(reg: np.ndarray, kind: np.ndarray, amount: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, ...]:
    """Join consecutive segments of one spell that pay the same benefit at the same rate."""
    new = np.ones(len(reg), dtype=bool)
    new[1:] = (reg[1:] != reg[:-1]) | (kind[1:] != kind[:-1]) | (amount[1:] != amount[:-1])
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(reg)) - 1
    return reg[first], kind[first], amount[first], start[first], end[last]


def unemployment_benefits(area: Area, spells: Spells, passes: np.ndarray) -> None:
    """Unemployment benefit segments of every registration spell (see module doc)."""
    r = area.regs
    has = r.benefit != codes.BENEFIT_NONE
    kind0 = np.array([_BY_ENTITLEMENT.get(b, -1) for b in range(4)], dtype=np.int8)[r.benefit]
    paid_from = r.start + value("benefits.waiting_days")
    stop = np.where(r.end == NO_DAY, area.timeline.horizon_end, r.end)
    idx = np.flatnonzero(has & (paid_from <= stop))
    breaks = _breaks(paid_from[idx], kind0[idx], r.days_used[idx], stop[idx])
    seg_start, seg_end = breaks[:, :-1].ravel(), breaks[:, 1:].ravel() - 1
    reg = np.repeat(idx, breaks.shape[1] - 1)
    ok = seg_end >= seg_start
    reg, seg_start, seg_end = reg[ok], seg_start[ok], seg_end[ok]
    rate = value("benefits.days_per_month") / AVERAGE_MONTH_DAYS
    paid = r.days_used[reg] + (seg_start - paid_from[reg]) * rate
    exhausted = (kind0[reg] != SUBSIDY) & (paid >= value("benefits.maximum_days") - 1e-9)
    kind = np.where(exhausted, SUBSIDY, kind0[reg])
    keep = ~exhausted | passes[reg]
    steps = paid_from[reg] >= day_number(value("benefits.step_down")["from"])
    amount = np.round(_amounts(kind, paid, r.wage_basis[reg], seg_start, steps), 2)
    reg, kind, amount, s, e = _merge(reg[keep], kind[keep], amount[keep], seg_start[keep], seg_end[keep])
    payer = np.where(kind == EARNINGS, FUND, KELA)
    spells.add(r.person[reg], kind, payer, amount, 0, s, np.where(e >= area.timeline.horizon_end, NO_DAY, e))


def adjusted_benefits(area: Area, spells: Spells) -> None:
    """Adjusted benefit beside part-time open-market jobs that follow an entitled spell."""
    j, r = area.jobs, area.regs
    part_time = (j.hours <= 30) & ~j.subsidised
    key_r = r.person * 10**6 + (r.end + 1)
    order = np.argsort(key_r)
    at = np.searchsorted(key_r[order], j.person * 10**6 + j.start)
    at = np.minimum(at, len(order) - 1)
    prev = order[at]
    follows = (key_r[prev] == j.person * 10**6 + j.start) & (r.end[prev] != NO_DAY)
    entitled = follows & (r.benefit[prev] != codes.BENEFIT_NONE) & part_time
    idx, reg = np.flatnonzero(entitled), prev[entitled]
    kind = np.array([_BY_ENTITLEMENT.get(b, -1) for b in range(4)], dtype=np.int8)[r.benefit[reg]]
    years = year_of(j.start[idx])
    basic = _by_year("benefits.basic_daily_amount", years)
    days = value("benefits.days_per_month")
    wage_daily = j.wage[idx] / days
    full = np.where(kind == EARNINGS, earnings_related_daily(r.wage_basis[reg], years), basic)
    capped = np.minimum(full - 0.5 * wage_daily, r.wage_basis[reg] / days - wage_daily)
    amount = np.where(kind == EARNINGS, np.maximum(capped, basic - 0.5 * wage_daily), full - 0.5 * wage_daily)
    limit = j.start[idx] + np.round(value("benefits.adjusted_max_months") * AVERAGE_MONTH_DAYS).astype(np.int64) - 1
    end = np.where(j.end[idx] == NO_DAY, limit, np.minimum(j.end[idx], limit))
    end = np.minimum(end, area.pop.retirement_day[j.person[idx]] - 1)  # no unemployment benefit from 65
    pay = amount >= 0.01
    payer = np.where(kind == EARNINGS, FUND, KELA)
    spells.add(j.person[idx][pay], kind[pay], payer[pay], amount[pay], 0, j.start[idx][pay], end[pay], adjusted=True)
