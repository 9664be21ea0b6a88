"""Who the clients are: background at their first registration in the area.

Drawn once per client from the marginals in `assumptions.yaml` (section `population`).
Everything here except `frailty` is exported (person and first registration spell), so the
selection model can use it and an analyst can adjust for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from polku.synth import codes
from polku.synth.draw import categorical, categorical_rows, weights
from polku.synth.params import value
from polku.synth.streams import rng
from polku.synth.timeline import Timeline

_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Population:
    """One entry per client (arrays of equal length); index = client sequence number - 1."""

    entry_month: np.ndarray
    entry_day: np.ndarray
    birth_day: np.ndarray
    male: np.ndarray
    language: np.ndarray
    municipality: np.ndarray
    municipality_codes: tuple[str, ...]
    rural: np.ndarray
    education: np.ndarray
    isced: np.ndarray
    pwa: np.ndarray
    pwa_basis: np.ndarray
    activity0: np.ndarray
    prev36_0: np.ndarray
    continuing0: np.ndarray
    fund_member: np.ndarray
    condition0: np.ndarray
    disability_pension: np.ndarray
    frailty: np.ndarray

    @property
    def size(self) -> int:
        return len(self.entry_month)

    @cached_property
    def retirement_day(self) -> np.ndarray:
        """The exact birthday of the pension age limit (65): from this day on nobody is
        registered unemployed or paid an unemployment benefit (the identity code's birth date)."""
        return birthday(self.birth_day, pension_age())


def pension_age() -> int:
    return int(value("hazards.other_exits")["pension"]["age_limit"])


def birthday(birth_day: np.ndarray, years: int) -> np.ndarray:
    """Day number on which persons born on `birth_day` turn `years` (29 February: 1 March)."""
    born = np.asarray(birth_day, dtype=np.int64).astype("datetime64[D]")
    month = born.astype("datetime64[M]")
    offset = (born - month.astype("datetime64[D]")).astype(np.int64)
    return (month + 12 * years).astype("datetime64[D]").astype(np.int64) + offset


def _entry(timeline: Timeline, n: int, g: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    years, year_w = weights(value("population.entry_year_weights"))
    month_w = np.asarray(value("population.entry_month_weights"), dtype=np.float64)
    w = np.outer(year_w, month_w / month_w.sum()).ravel()[: timeline.entry_months]
    month = categorical(g.random(n), w).astype(np.int16)
    first = timeline.month_starts[month]
    span = timeline.month_starts[month + 1] - first
    return month, first + (g.random(n) * span).astype(np.int64)


def _age_group(age: np.ndarray) -> np.ndarray:
    """0 young (< 25), 1 core (25-54), 2 older (55+)."""
    return np.where(age < 25, 0, np.where(age < 55, 1, 2)).astype(np.int8)


def _birth(entry_day: np.ndarray, g: np.random.Generator) -> np.ndarray:
    bands = value("population.age_bands")
    band = categorical(g.random(len(entry_day)), [b[2] for b in bands])
    low = np.array([b[0] for b in bands], dtype=np.float64)[band]
    high = np.array([b[1] for b in bands], dtype=np.float64)[band] + 1
    age = low + g.random(len(entry_day)) * (high - low)
    birth = entry_day - np.floor(age * _DAYS_PER_YEAR).astype(np.int64)
    # Exact (calendar) age at entry stays below the pension age: a day later at the edge.
    limit = pension_age()
    while (late := birthday(birth, limit) <= entry_day).any():
        birth = np.where(late, birth + 1, birth)
    return birth


def _education(group: np.ndarray, language: np.ndarray, g: np.random.Generator) -> np.ndarray:
    table = value("population.education_by_age")
    rows = np.array([table["young"], table["core"], table["older"]], dtype=np.float64)[group]
    shift = value("population.other_language_basic_shift") * (language == codes.index(codes.LANGUAGE, "other"))
    rows[:, 0] += shift
    rows[:, 1] -= shift
    return categorical_rows(g.random(len(group)), rows)


def _isced(education: np.ndarray, g: np.random.Generator) -> np.ndarray:
    table = value("population.isced_within_level")
    u = g.random(len(education))
    out = np.full(len(education), -1, dtype=np.int8)
    for level, name in enumerate(codes.EDUCATION):
        keys, w = weights(table[name])
        levels = np.array([-1 if k == "unknown" else int(k) for k in keys], dtype=np.int8)
        pick = education == level
        out[pick] = levels[categorical(u[pick], w)]
    return out


def _partial_work_ability(group: np.ndarray, g: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    by_age = value("population.partial_work_ability_by_age")
    p = np.array([by_age["young"], by_age["core"], by_age["older"]])[group]
    pwa = g.random(len(group)) < p
    _, w = weights(value("population.partial_work_ability_basis"))
    basis = np.where(pwa, categorical(g.random(len(group)), w), -1).astype(np.int8)
    return pwa, basis


def _activity(group: np.ndarray, pwa: np.ndarray, g: np.random.Generator) -> np.ndarray:
    table = value("population.activity_before")
    rows = [[table[k][a] for a in codes.ACTIVITY] for k in ("young", "adult", "partial_work_ability")]
    kind = np.where(pwa, 2, np.where(group == 0, 0, 1))
    return categorical_rows(g.random(len(group)), np.array(rows, dtype=np.float64)[kind])


def _history(n: int, g: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Carried-over months of the ongoing spell and months unemployed in the previous 36."""
    cont = value("population.continuing_spell_months")
    carried = g.random(n) < value("population.continuing_spell_share")
    months = np.exp(np.log(cont["median"]) + cont["sigma"] * g.standard_normal(n))
    continuing = np.where(carried, np.clip(np.round(months), 1, cont["max"]), 0).astype(np.int16)
    a, b = value("population.prev36_beta")
    some = g.random(n) >= value("population.prev36_zero_share")
    prev36 = np.where(some, np.round(36 * g.beta(a, b, n)), 0)
    prev36 = np.maximum(prev36, np.minimum(continuing, 36)).astype(np.int16)
    return continuing, prev36


def _fund_member(education: np.ndarray, group: np.ndarray, language: np.ndarray, g: np.random.Generator) -> np.ndarray:
    by_education = value("population.fund_member_by_education")
    p = np.array([by_education[e] for e in codes.EDUCATION])[education]
    p = p * np.where(group == 0, value("population.fund_member_young_factor"), 1.0)
    p = p * np.where(language == 2, value("population.fund_member_other_language_factor"), 1.0)
    return g.random(len(education)) < p


def _condition(activity: np.ndarray, g: np.random.Generator) -> np.ndarray:
    after = value("population.employment_condition_after")
    p = np.zeros(len(activity))
    for name, share in after.items():
        p[activity == codes.index(codes.ACTIVITY, name)] = share
    return g.random(len(activity)) < p


def _disability_pension(pwa_basis: np.ndarray, g: np.random.Generator) -> np.ndarray:
    table = value("benefits.partial_disability_pension")
    p = np.zeros(len(pwa_basis))
    for name in ("disability_benefit", "medical_statement", "rehabilitation_decision"):
        p[pwa_basis == codes.index(codes.PWA_BASIS, name)] = table[name]
    return g.random(len(pwa_basis)) < p


def _municipality(n: int, g: np.random.Generator) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    names, w = weights(value("area.municipality_weights"))
    municipality = categorical(g.random(n), w)
    central = names.index(value("area.central_municipality"))
    return municipality, tuple(names), municipality != central


def draw_population(n: int, seed: int, timeline: Timeline) -> Population:
    """Draw `n` clients; the same (n, seed) always gives the same clients."""
    g = rng(seed, "population")
    entry_month, entry_day = _entry(timeline, n, g)
    birth_day = _birth(entry_day, g)
    group = _age_group(np.floor((entry_day - birth_day) / _DAYS_PER_YEAR))
    male = g.random(n) < value("population.male_share")
    _, lang_w = weights(value("population.language_shares"))
    language = categorical(g.random(n), lang_w)
    municipality, municipality_codes, rural = _municipality(n, g)
    education = _education(group, language, g)
    pwa, pwa_basis = _partial_work_ability(group, g)
    activity0 = _activity(group, pwa, g)
    continuing0, prev36_0 = _history(n, g)
    return Population(
        entry_month=entry_month,
        entry_day=entry_day,
        birth_day=birth_day,
        male=male,
        language=language,
        municipality=municipality,
        municipality_codes=municipality_codes,
        rural=rural,
        education=education,
        isced=_isced(education, g),
        pwa=pwa,
        pwa_basis=pwa_basis,
        activity0=activity0,
        prev36_0=prev36_0,
        continuing0=continuing0,
        fund_member=_fund_member(education, group, language, g),
        condition0=_condition(activity0, g),
        disability_pension=_disability_pension(pwa_basis, g),
        frailty=(value("population.frailty_sd") * g.standard_normal(n)).astype(np.float32),
    )
