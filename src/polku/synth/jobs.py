"""What a job looks like when it starts: hours, wage, sector, source, contract length.

Wages follow the Statistics Finland medians by education, age and sex in
fiscal-parameters.md §3, scaled down for re-employed job seekers, for part-time hours and
by a wage index over the years.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polku.synth import codes
from polku.synth.draw import banded, categorical, weights
from polku.synth.params import value
from polku.synth.population import Population
from polku.synth.services import AVERAGE_MONTH_DAYS
from polku.synth.streams import MonthDraws

FULL_TIME_HOURS = 37.5


@dataclass(frozen=True)
class Jobs:
    """Attributes of jobs starting on `start_day` for the persons they were drawn for."""

    hours: np.ndarray
    wage: np.ndarray
    sector: np.ndarray
    source: np.ndarray
    wage_missing: np.ndarray
    end_day: np.ndarray  # planned end of a fixed-term contract, -1 when open-ended


def full_time_wage(pop: Population, idx: np.ndarray, age: np.ndarray, year: int, z: np.ndarray) -> np.ndarray:
    """Monthly full-time wage of a re-employed job seeker (euros, that year's level)."""
    medians = value("jobs.median_wage_by_isced")
    isced = pop.isced[idx]
    median = np.where(isced >= 3, 0.0, medians["basic"])
    for level in range(3, 9):
        median = np.where(isced == level, medians[str(level)], median)
    sex = value("jobs.sex_wage_factor")
    factor = banded(age, value("jobs.age_wage_factor")) * np.where(pop.male[idx], sex["male"], sex["female"])
    index = value("jobs.wage_index")
    level = index[min(max(year, min(index)), max(index))]
    noise = np.exp(value("jobs.wage_sigma") * z - 0.5 * value("jobs.wage_sigma") ** 2)
    return median * factor * value("jobs.reemployed_wage_factor") * level * noise


def _hours(part_time: np.ndarray, draws: MonthDraws, idx: np.ndarray) -> np.ndarray:
    ft_keys, ft_w = weights(value("jobs.full_time_hours"))
    pt_keys, pt_w = weights(value("jobs.part_time_hours"))
    u = draws.u("hours")[idx]
    full = np.array([float(k) for k in ft_keys])[categorical(u, ft_w)]
    part = np.array([float(k) for k in pt_keys])[categorical(u, pt_w)]
    return np.where(part_time, part, full)


def part_time_probability(pop: Population, idx: np.ndarray, age: np.ndarray, ips_active: np.ndarray) -> np.ndarray:
    p = value("jobs.part_time_probability")
    prob = p["base"] + np.where(age < 25, p["young_extra"], 0.0)
    prob = np.where(pop.pwa[idx], np.maximum(prob, p["partial_work_ability"]), prob)
    prob = np.where(ips_active, np.maximum(prob, p["ips_active"]), prob)
    return np.where(pop.disability_pension[idx], 1.0, prob)


def _contract_end(start_day: np.ndarray, draws: MonthDraws, idx: np.ndarray) -> np.ndarray:
    keys, w = weights(value("jobs.fixed_term_months"))
    months = np.array([int(k) for k in keys])[categorical(draws.u("contract_length")[idx], w)]
    fixed = draws.u("contract")[idx] < value("jobs.fixed_term_share")
    end = start_day + np.round(months * AVERAGE_MONTH_DAYS).astype(np.int64) - 1
    return np.where(fixed, end, -1)


def draw_jobs(
    pop: Population,
    idx: np.ndarray,
    age: np.ndarray,
    year: int,
    start_day: np.ndarray,
    draws: MonthDraws,
    ips_active: np.ndarray,
    subsidised: bool = False,
) -> Jobs:
    """Attributes of the jobs starting now for persons `idx` (same draws in both worlds)."""
    part_time = draws.u("part_time")[idx] < part_time_probability(pop, idx, age, ips_active)
    hours = _hours(part_time, draws, idx)
    wage = full_time_wage(pop, idx, age, year, draws.u("wage")[idx]) * hours / FULL_TIME_HOURS
    if subsidised:
        wage = wage * value("jobs.subsidised_wage_factor")
    sectors = value("jobs.sector")["subsidised" if subsidised else "open"]
    sector = categorical(draws.u("sector")[idx], [sectors[s] for s in codes.SECTOR])
    _, source_w = weights(value("jobs.source"))
    source = categorical(draws.u("source")[idx], source_w)
    self_report = source == codes.EMPLOYMENT_SOURCE.index("self_report")
    missing = self_report & (draws.u("wage_missing")[idx] < value("jobs.self_report_wage_missing"))
    end_day = np.full(len(idx), -1, dtype=np.int64) if subsidised else _contract_end(start_day, draws, idx)
    return Jobs(hours, np.round(wage, 2), sector, source, missing, end_day)
