"""Benefits beside the unemployment benefit, and the benefit_spell table.

Housing allowance and social assistance are drawn per registration spell (more often on
basic support and for the young), sickness and rehabilitation allowance precede a
registration, and a partial disability pension runs from before the first registration.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from polku.synth import codes
from polku.synth.area import Area
from polku.synth.benefits import (
    ASSISTANCE,
    HOUSING,
    KELA,
    MUNICIPALITY,
    PAYERS,
    PENSION,
    PENSION_PROVIDER,
    REHABILITATION,
    SICKNESS,
    TYPES,
    UNITS,
    Spells,
    adjusted_benefits,
    unemployment_benefits,
)
from polku.synth.csvout import dates, flags, identifiers, labels, money
from polku.synth.params import value
from polku.synth.records import NO_DAY, censored_end
from polku.synth.streams import rng

_MONTH, _DAY = 1, 0


def _household(area: Area, spells: Spells, g: np.random.Generator) -> None:
    """Housing allowance and social assistance from a month into a registration spell."""
    r, pop = area.regs, area.pop
    p = value("benefits.housing_allowance_probability")
    basic_support = np.isin(r.benefit, (codes.BENEFIT_SUBSIDY, codes.BENEFIT_NONE, codes.BENEFIT_BASIC))
    young = (r.start - pop.birth_day[r.person]) / 365.25 < 25
    tertiary = pop.education[r.person] == codes.EDUCATION.index("tertiary")
    prob = p["base"] + p["basic_support_extra"] * basic_support + p["young_extra"] * young - p["tertiary_reduction"] * tertiary
    monthly = value("benefits.housing_allowance_monthly")
    start = r.start + monthly["start_delay_days"]
    stop = np.where(r.end == NO_DAY, area.timeline.horizon_end, r.end)
    n = len(r.start)
    u_housing, u_assist, u_payer = g.random(n), g.random(n), g.random(n)
    z1, z2 = g.standard_normal(n), g.standard_normal(n)
    housing = (u_housing < prob) & (start <= stop)
    amount = monthly["median_2025"] * np.exp(monthly["sigma"] * z1)
    end = np.where(r.end == NO_DAY, NO_DAY, stop)
    spells.add(r.person[housing], HOUSING, KELA, amount[housing], _MONTH, start[housing], end[housing])
    a = value("benefits.social_assistance_probability")
    s = value("benefits.social_assistance_monthly")
    p_assist = np.where(
        housing & np.isin(r.benefit, (codes.BENEFIT_SUBSIDY, codes.BENEFIT_NONE)),
        a["with_housing_and_basic_support"],
        a["otherwise"],
    )
    assist = (u_assist < p_assist) & (start <= stop)
    payer = np.where(u_payer < s["municipality_share"], MUNICIPALITY, KELA)
    amount = s["median"] * np.exp(s["sigma"] * z2)
    spells.add(r.person[assist], ASSISTANCE, payer[assist], amount[assist], _MONTH, start[assist], end[assist])


def _before_registration(area: Area, spells: Spells, g: np.random.Generator) -> None:
    """Sickness allowance before spells that follow it; rehabilitation allowance before the first."""
    r, pop = area.regs, area.pop
    sick = np.flatnonzero(r.activity == codes.ACTIVITY.index("sickness_allowance"))
    c = value("benefits.sickness_allowance_daily")
    length = c["days_low"] + (g.random(len(sick)) * (c["days_high"] - c["days_low"])).astype(np.int64)
    amount = c["low"] + g.random(len(sick)) * (c["high"] - c["low"])
    spells.add(r.person[sick], SICKNESS, KELA, amount, _DAY, r.start[sick] - length, r.start[sick] - 1)
    c = value("benefits.rehabilitation_allowance_daily")
    rehab = pop.pwa_basis == codes.PWA_BASIS.index("rehabilitation_decision")
    who = np.flatnonzero(rehab & (g.random(pop.size) < c["share"]))
    length = c["days_low"] + (g.random(len(who)) * (c["days_high"] - c["days_low"])).astype(np.int64)
    amount = c["low"] + g.random(len(who)) * (c["high"] - c["low"])
    first = pop.entry_day[who]
    spells.add(who, REHABILITATION, KELA, amount, _DAY, first - length, first - 1)


def _pensions(area: Area, spells: Spells, g: np.random.Generator) -> None:
    """Partial disability pensions, running from up to three years before entry."""
    pop = area.pop
    c = value("benefits.partial_disability_pension")
    who = np.flatnonzero(pop.disability_pension)
    amount = c["monthly_low"] + g.random(len(who)) * (c["monthly_high"] - c["monthly_low"])
    payer = np.where(g.random(len(who)) < c["pension_provider_share"], PENSION_PROVIDER, KELA)
    start = pop.entry_day[who] - (g.random(len(who)) * 3 * 365).astype(np.int64)
    spells.add(who, PENSION, payer, amount, _MONTH, start, np.full(len(who), NO_DAY))


def benefit_spells(area: Area) -> dict[str, np.ndarray]:
    """Every benefit spell of the observed world, ordered by person and start."""
    g = rng(area.seed, "benefits")
    spells = Spells()
    passes = g.random(len(area.regs.start)) < value("population.means_test_pass")
    unemployment_benefits(area, spells, passes)
    adjusted_benefits(area, spells)
    _household(area, spells, g)
    _before_registration(area, spells, g)
    _pensions(area, spells, g)
    return spells.frame()


def benefit_table(area: Area) -> dict[str, pa.Array]:
    b = benefit_spells(area)
    keep = b["start"] <= area.extraction
    b = {k: v[keep] for k, v in b.items()}
    return {
        "benefit_id": identifiers("B", np.arange(1, int(keep.sum()) + 1), 8),
        "hetu": area.hetus(b["person"]),
        "benefit_type": labels(TYPES, b["kind"]),
        "payer": labels(PAYERS, b["payer"]),
        "amount": money(b["amount"]),
        "amount_unit": labels(UNITS, b["unit"]),
        "start_date": dates(b["start"]),
        "end_date": dates(censored_end(b["end"], area.extraction)),
        "adjusted": flags(b["adjusted"]),
    }
