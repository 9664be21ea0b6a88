"""Monthly hazards of leaving unemployment, and the client groups built from them.

The employment hazard is logistic in a linear predictor. Its observed part, the
*potential*, uses only exported columns (age, sex, education, language, partial work
ability, municipality, the registration spell's activity before, months unemployed in the
previous 36, the current spell's length and whether the spell began on earnings-related
allowance). Client groups and service selection use the potential only, so selection is
on observables; calendar, season and the unobserved frailty enter the hazard but not
selection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polku.synth import codes
from polku.synth.draw import banded, logistic
from polku.synth.params import value
from polku.synth.population import Population

OTHER_EXITS = (
    codes.EDUCATION_EXIT,
    codes.OUT_OF_LF,
    codes.PENSION,
    codes.MOVED,
    codes.SELF_EMPLOYMENT,
    codes.UNKNOWN,
)


@dataclass(frozen=True)
class SpellState:
    """Covariates of the current registration spell for the persons `idx`."""

    activity: np.ndarray
    prev36: np.ndarray
    duration: np.ndarray
    earnings_related: np.ndarray


def potential_lp(pop: Population, idx: np.ndarray, age: np.ndarray, spell: SpellState) -> np.ndarray:
    """Observed part of the monthly re-employment log-odds (no calendar, season or frailty)."""
    c = value("hazards.employment")
    lp = c["intercept"] + banded(age, c["age"])
    lp += np.where(pop.male[idx], 0.0, c["female"])
    lp += np.array([c["education"][e] for e in codes.EDUCATION])[pop.education[idx]]
    lp += np.array([c["language"][x] for x in codes.LANGUAGE])[pop.language[idx]]
    lp += np.where(pop.pwa[idx], c["partial_work_ability"], 0.0)
    lp += np.where(pop.rural[idx], c["rural"], 0.0)
    lp += np.array([c["activity_before"][a] for a in codes.ACTIVITY])[spell.activity]
    lp += c["prev36_per_month"] * spell.prev36
    lp += c["log_duration"] * np.log1p(spell.duration)
    lp += np.where(spell.earnings_related, c["earnings_related_at_start"], 0.0)
    return lp


def calendar_lp(year: int, calendar_month: int) -> float:
    """Business cycle and season, the same for everyone in a month."""
    years = value("hazards.calendar_year")
    return float(years[min(max(year, min(years)), max(years))] + value("hazards.calendar_month")[calendar_month - 1])


def potential_probability(lp: np.ndarray) -> np.ndarray:
    """Probability of a job within 12 months at a constant hazard logistic(lp)."""
    return 1.0 - (1.0 - logistic(lp)) ** 12


def client_group(lp: np.ndarray) -> np.ndarray:
    """0 high, 1 medium, 2 low employment potential (see client_groups.thresholds)."""
    t = value("client_groups.thresholds")
    p = potential_probability(lp)
    return np.where(p >= t["high"], 0, np.where(p < t["low"], 2, 1)).astype(np.int8)


def standardised_potential(lp: np.ndarray) -> np.ndarray:
    s = value("client_groups.potential_scale")
    return (lp - s["center"]) / s["scale"]


def other_exit_probabilities(pop: Population, idx: np.ndarray, age: np.ndarray, activity: np.ndarray) -> np.ndarray:
    """(len(idx), 6) monthly probabilities of the non-employment exits, in OTHER_EXITS order."""
    c = value("hazards.other_exits")
    pwa = pop.pwa[idx]
    young, under30 = age < 25, age < 30
    education = c["education"]["base"] * np.where(young, c["education"]["young_factor"], 1.0)
    education = education * np.where(age >= 45, c["education"]["age45_factor"], 1.0)
    olf = c["out_of_labour_force"]
    care = activity == codes.index(codes.ACTIVITY, "care")
    out_lf = olf["base"] * np.where(pwa, olf["partial_work_ability_factor"], 1.0) * np.where(care, olf["care_factor"], 1.0)
    p = c["pension"]
    pension = np.where(age >= 63, p["age63"], np.where(age >= 60, p["age60"], 0.0))
    pension = np.where(age >= p["age_limit"], 1.0, pension)
    pension = pension + np.where(pwa, np.where(age >= 55, p["partial_work_ability_55"], p["partial_work_ability"]), 0.0)
    moved = c["moved"]["base"] * np.where(under30, c["moved"]["under30_factor"], 1.0)
    tertiary = pop.education[idx] == codes.index(codes.EDUCATION, "tertiary")
    self_emp = c["self_employment"]["base"] * np.where(tertiary, c["self_employment"]["tertiary_factor"], 1.0)
    unknown = np.full(len(idx), c["unknown"]["base"])
    return np.column_stack([education, out_lf, pension, moved, self_emp, unknown])
