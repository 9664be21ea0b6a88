"""Measured progress: the Kykyviisari work-ability score and the client change meter.

Participants are measured at the start of the service and about every three months
during it (and once more at its end); a share of non-participants fill in the same
instruments during their registration. A client's level is a personal baseline (lower
with partial work ability, long unemployment and age) plus a slow natural drift, plus,
in a service, the service's gain times the provider's quality, reached in proportion to
the planned time received, plus occasion noise. Effective providers thus show larger
improvements, and rehabilitative work moves the meter although it hardly moves employment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from polku.synth import codes
from polku.synth.area import Area
from polku.synth.behaviour import served_episodes
from polku.synth.core_tables import episode_end
from polku.synth.csvout import dates, identifiers, labels, numbers
from polku.synth.params import value
from polku.synth.records import NO_DAY
from polku.synth.services import providers
from polku.synth.streams import rng

ITEMS = ("work_ability_score", "work_ability", "skills", "job_search", "life_management", "wellbeing")
SCALES = {"work_ability_score": (0.0, 10.0), **{i: (1.0, 5.0) for i in ITEMS[1:]}}
INSTRUMENTS = ("work_ability_self_assessment", "client_change_meter")
RECORDERS = ("client", "case_worker", "provider_coach")
_MAX_OCCASIONS = 8


@dataclass(frozen=True)
class Occasions:
    """Measurement occasions: who, when, and the episode (client index) or -1."""

    person: np.ndarray
    day: np.ndarray
    served: np.ndarray


def _grid(first: np.ndarray, last: np.ndarray, person: np.ndarray, served: bool, final: np.ndarray | bool) -> Occasions:
    """Occasions every interval from `first` while not after `last`, plus one at `last` where
    `final` (an episode's end) when it is at least a month after the previous occasion."""
    step = value("measurements.interval_days")
    k = np.arange(_MAX_OCCASIONS)
    days = first[:, None] + step * k[None, :]
    ok = days <= last[:, None]
    previous = first + step * np.clip((last - first) // step, 0, _MAX_OCCASIONS - 1)
    ok_last = np.asarray(final, dtype=bool) & (last - previous >= 30)
    days = np.column_stack([days, last])
    ok = np.column_stack([ok, ok_last])
    rows, cols = np.nonzero(ok)
    return Occasions(person[rows], days[rows, cols], np.full(len(rows), served))


def occasions(area: Area) -> Occasions:
    """Every measurement occasion up to the extraction day, ordered by person and day."""
    person = served_episodes(area)  # parked clients get none (polku.synth.behaviour)
    s = area.services
    end = episode_end(area, person)
    last = np.where(end == NO_DAY, area.extraction, end)
    served = _grid(s.start_day[person], last, person, True, end != NO_DAY)
    r = area.regs
    g = rng(area.seed, "measurements", 1)
    lasting = (np.where(r.end == NO_DAY, area.extraction, r.end) - r.start) >= 61
    never = s.service[r.person] < 0
    pick = lasting & never & (g.random(len(r.start)) < value("measurements.non_participant_share"))
    first = r.start[pick] + 30
    stop = np.minimum(np.where(r.end[pick] == NO_DAY, area.extraction, r.end[pick]), area.extraction)
    others = _grid(first, stop, r.person[pick], False, False)
    merged = [np.concatenate([getattr(served, f), getattr(others, f)]) for f in ("person", "day", "served")]
    order = np.lexsort((merged[1], merged[0]))
    return Occasions(*(m[order] for m in merged))


def _baselines(area: Area, g: np.random.Generator) -> np.ndarray:
    """(clients, items) personal baseline levels."""
    pop, b = area.pop, value("measurements.baseline")
    long_term = (pop.continuing0 >= 12) | (pop.prev36_0 >= 24)
    older = (pop.entry_day - pop.birth_day) / 365.25 >= 55
    out = np.empty((pop.size, len(ITEMS)))
    for i in range(len(ITEMS)):
        c = b["work_ability_score" if i == 0 else "change_meter"]
        out[:, i] = c["mean"] + c["pwa"] * pop.pwa + c["long_term"] * long_term + c["older"] * older
        out[:, i] += c["sd"] * g.standard_normal(pop.size)
    return out


def levels(area: Area, occ: Occasions) -> np.ndarray:
    """(occasions, items) measured values, rounded to the instrument's precision and scale."""
    g = rng(area.seed, "measurements", 2)
    base = _baselines(area, g)[occ.person]
    s = area.services
    gains_table = value("services.measurement_gains")
    gains = np.array([[gains_table[c][i] for i in ITEMS] for c in codes.SERVICES])
    service = np.maximum(s.service[occ.person], 0)
    span = np.maximum(s.planned_end_day[occ.person] - s.start_day[occ.person], 1)
    received = np.clip(
        (np.minimum(occ.day, np.where(s.end_day[occ.person] < 0, occ.day, s.end_day[occ.person])) - s.start_day[occ.person])
        / span,
        0,
        1,
    )
    gain = np.where(occ.served, received * s.quality[occ.person], 0.0)[:, None] * gains[service]
    entry = np.where(occ.served, s.start_day[occ.person], area.pop.entry_day[occ.person])
    drift = value("measurements.natural_drift") * (occ.day - entry) / (6 * 30.4375)
    noise_sd = value("measurements.occasion_sd")
    sd = np.array([noise_sd["work_ability_score"]] + [noise_sd["change_meter"]] * 5)
    raw = base + gain + drift[:, None] + sd * g.standard_normal((len(occ.day), len(ITEMS)))
    out = np.column_stack([np.round(np.clip(raw[:, 0], 0, 10), 1), np.clip(np.round(raw[:, 1:]), 1, 5)])
    return out


def measurement_table(area: Area) -> dict[str, pa.Array]:
    occ = occasions(area)
    values = levels(area, occ)
    n, k = len(occ.day), len(ITEMS)
    public = providers().ids.index("PUB")
    coach = occ.served & (area.services.provider[occ.person] != public)
    recorder = np.column_stack([np.zeros(n)] + [np.where(coach, 2, 1)] * (k - 1)).astype(np.int64)
    item = np.tile(np.arange(k), n)
    low = np.array([SCALES[i][0] for i in ITEMS])[item]
    high = np.array([SCALES[i][1] for i in ITEMS])[item]
    return {
        "measurement_id": identifiers("M", np.arange(1, n * k + 1), 9),
        "hetu": area.hetus(np.repeat(occ.person, k)),
        "instrument": labels(INSTRUMENTS, np.where(item == 0, 0, 1)),
        "item": labels(ITEMS, item),
        "value": numbers(values.ravel()),
        "scale_min": numbers(low),
        "scale_max": numbers(high),
        "measured_on": dates(np.repeat(occ.day, k)),
        "recorded_by": labels(RECORDERS, recorder.ravel()),
    }
