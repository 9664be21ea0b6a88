"""Measured progress: the Kykyviisari work-ability score and the client change meter.

Participants are measured at the start of the service and about every three months
during it (and once more at its end), and followed up 6 and 12 months after the start
when the service has ended by then; a share of non-participants fill in the same
instruments during their registration, until a service of their own starts (they are the
comparison people of `polku.change.effects`). A client's level is a personal baseline (lower
with partial work ability, long unemployment and age) plus a slow natural drift from the
day they registered (for participants and others alike, so that a participant's level at
the start is where their own path had taken it), plus,
in a service, the service's gain times the provider's quality (halved, by default, for
clients with partial work ability), reached in proportion to the planned time received,
plus occasion noise. Effective providers thus show larger improvements, and
rehabilitative work moves the meter although it hardly moves employment.

Every occasion after a person's first is answered with a chance that falls with partial
work ability, long unemployment and age (`measurements.response`): people measured less
often differ, as in the field, and since they also gain less, an analysis of the measured
alone overstates the effect. `change_truth` gives each participant's level with and
without the service on the same noise at the 6- and 12-month follow-ups, answered or not
(`ground_truth_change.csv`).
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
    first: np.ndarray | None = None  # the person's first occasion of the block (never missing)


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
    return Occasions(person[rows], days[rows, cols], np.full(len(rows), served), cols == 0)


FOLLOW_UP_DAYS = (182, 364)
"""Follow-ups after the start (2 and 4 measurement intervals), also after the service ended."""


def _follow_ups(start: np.ndarray, last: np.ndarray, person: np.ndarray) -> Occasions:
    """Occasions at `FOLLOW_UP_DAYS` after the start where the episode had ended before them."""
    days = start[:, None] + np.array(FOLLOW_UP_DAYS)[None, :]
    rows, cols = np.nonzero(days > last[:, None])
    return Occasions(person[rows], days[rows, cols], np.full(len(rows), True), np.zeros(len(rows), bool))


def response_chance(area: Area, person: np.ndarray) -> np.ndarray:
    """The chance that `person` answers an occasion after their first (`measurements.response`)."""
    pop, c = area.pop, value("measurements.response")
    long_term = (pop.continuing0 >= 12) | (pop.prev36_0 >= 24)
    older = (pop.entry_day - pop.birth_day) / 365.25 >= 55
    logit = c["intercept"] + c["pwa"] * pop.pwa + c["long_term"] * long_term + c["older"] * older
    return (1.0 / (1.0 + np.exp(-logit)))[person]


def _answered(area: Area, occ: Occasions) -> np.ndarray:
    """Which occasions are answered: every first one, the others by `response_chance`."""
    g = rng(area.seed, "measurements", 4)
    assert occ.first is not None
    return occ.first | (g.random(len(occ.day)) < response_chance(area, occ.person))


def occasions(area: Area) -> Occasions:
    """Every measurement occasion up to the extraction day, ordered by person and day."""
    person = served_episodes(area)  # parked clients get none (polku.synth.behaviour)
    s = area.services
    end = episode_end(area, person)
    last = np.where(end == NO_DAY, area.extraction, end)
    served = _grid(s.start_day[person], last, person, True, end != NO_DAY)
    after = _follow_ups(s.start_day[person], last, person)
    after = _subset(after, after.day <= area.extraction)
    r = area.regs
    g = rng(area.seed, "measurements", 1)
    lasting = (np.where(r.end == NO_DAY, area.extraction, r.end) - r.start) >= 61
    pick = lasting & (g.random(len(r.start)) < value("measurements.non_participant_share"))
    first = r.start[pick] + 30
    stop = np.minimum(np.where(r.end[pick] == NO_DAY, area.extraction, r.end[pick]), area.extraction)
    service_start = np.where(s.service[r.person[pick]] >= 0, s.start_day[r.person[pick]], NO_DAY)
    before_service = (service_start != NO_DAY) & (service_start >= first)
    stop = np.where(before_service, np.minimum(stop, service_start - 1), stop)  # until their own service starts
    stop = np.where((service_start != NO_DAY) & ~before_service & (service_start >= r.start[pick]), first - 1, stop)
    others = _grid(first, stop, r.person[pick], False, False)
    fields = ("person", "day", "served", "first")
    merged = Occasions(*(np.concatenate([getattr(o, f) for o in (served, after, others)]) for f in fields))
    merged = _subset(merged, _answered(area, merged))
    return _subset(merged, np.lexsort((merged.day, merged.person)))


def _subset(occ: Occasions, rows: np.ndarray) -> Occasions:
    return Occasions(occ.person[rows], occ.day[rows], occ.served[rows], None if occ.first is None else occ.first[rows])


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


def _latent(area: Area, occ: Occasions, base: np.ndarray, g: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(level without the service, the service's gain) of each occasion and item, unrounded."""
    s = area.services
    gains_table = value("services.measurement_gains")
    gains = np.array([[gains_table[c][i] for i in ITEMS] for c in codes.SERVICES])
    service = np.maximum(s.service[occ.person], 0)
    span = np.maximum(s.planned_end_day[occ.person] - s.start_day[occ.person], 1)
    ended = np.where(s.end_day[occ.person] < 0, occ.day, s.end_day[occ.person])
    received = np.clip((np.minimum(occ.day, ended) - s.start_day[occ.person]) / span, 0, 1)
    weaker = 1.0 - value("measurements.gain_partial_work_ability_cut") * area.pop.pwa[occ.person]
    gain = np.where(occ.served, received * s.quality[occ.person] * weaker, 0.0)[:, None] * gains[service]
    drift = value("measurements.natural_drift") * (occ.day - area.pop.entry_day[occ.person]) / (6 * 30.4375)
    noise_sd = value("measurements.occasion_sd")
    sd = np.array([noise_sd["work_ability_score"]] + [noise_sd["change_meter"]] * 5)
    without = base[occ.person] + drift[:, None] + sd * g.standard_normal((len(occ.day), len(ITEMS)))
    return without, gain


def _rounded(raw: np.ndarray) -> np.ndarray:
    """Levels as recorded: the score to 0.1 on 0-10, the meter's items whole 1-5."""
    return np.column_stack([np.round(np.clip(raw[:, 0], 0, 10), 1), np.clip(np.round(raw[:, 1:]), 1, 5)])


def levels(area: Area, occ: Occasions) -> np.ndarray:
    """(occasions, items) measured values, rounded to the instrument's precision and scale."""
    g = rng(area.seed, "measurements", 2)
    base = _baselines(area, g)
    without, gain = _latent(area, occ, base, g)
    return _rounded(without + gain)


def change_truth(area: Area) -> dict[str, np.ndarray]:
    """Each participant's level with and without the service at the start and at each
    follow-up (`FOLLOW_UP_DAYS`), on the same noise, whether or not it was answered or
    reached by the extraction: (episodes, follow-ups, items) arrays `with` and `without`
    of the change from the start, and `person`."""
    person = area.episodes
    start = area.services.start_day[person]
    base = _baselines(area, rng(area.seed, "measurements", 2))
    g = rng(area.seed, "measurements", 3)
    days = np.column_stack([start] + [start + d for d in FOLLOW_UP_DAYS])
    occ = Occasions(np.repeat(person, days.shape[1]), days.ravel(), np.full(days.size, True))
    without, gain = _latent(area, occ, base, g)
    shape = (len(person), days.shape[1], len(ITEMS))
    with_, without = _rounded(without + gain).reshape(shape), _rounded(without).reshape(shape)
    return {"person": person, "with": with_[:, 1:] - with_[:, :1], "without": without[:, 1:] - without[:, :1]}


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
