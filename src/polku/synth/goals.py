"""Goals of every client's employment plan, with their Goal Attainment Scaling levels.

Every registered job seeker has an employment plan (työllistymissuunnitelma; an
integration plan for immigrants): it is agreed `goals.plan_days` after registration and
reviewed every `goals.review_days` while the registration spell runs, and each time one or
two goals are set (domains by `goals.plan_domains`, or the service's goal domains,
`services.goals`, while a service runs), due 3 or 6 months later. So participants and
non-participants alike have goals on the same schedule, and the effect of a service on
reaching them can be estimated (`polku.change.goal_effects`); a service changes what the
goals are about, not how many there are (a T-score depends on the number of goals).

A goal is assessed on its due date, or on the day the client leaves the register if that
is earlier (the plan ends; a share `goals.cancelled_when_left` of these goals is recorded
as cancelled, without a level). Its GAS level (-2..+2) is the case worker's rating on the
goal's own scale: a latent attainment, normal, from a personal level (lower with partial
work ability, long unemployment and age, plus a personal random part) plus the goal's own
noise plus, while a service runs, the service's true effect `services.goal_effects` times
the provider's quality (cut for clients with partial work ability) times the share of the
goal's time the service covered; cut at `goals.gas_cuts`, so that level >= 0 (the goal
reached) means a latent attainment >= 0. `goal_levels` gives every goal's level with and
without the service on the same noise (the ground truth, `ground_truth_goals.csv`).

The goal's baseline and target are shown for the domains followed with a measurement item
(`goals.domain_items`): the client's latest measured value on or before the day the goal
was set, and a fixed step above it. Each goal has a GAS weight, importance x difficulty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from polku.synth import codes
from polku.synth.area import Area
from polku.synth.csvout import dates, identifiers, labels, numbers
from polku.synth.draw import categorical
from polku.synth.draw import weights as shares
from polku.synth.measurements import ITEMS, SCALES, Occasions
from polku.synth.params import value
from polku.synth.records import NO_DAY
from polku.synth.services import AVERAGE_MONTH_DAYS
from polku.synth.streams import rng

DOMAINS = ("work_ability", "skills", "job_search", "life_management", "wellbeing", "employment", "education")
STATUS = ("open", "achieved", "partly_achieved", "not_achieved", "cancelled")
_MAX_REVIEWS = 24
"""At most this many plan reviews per registration spell (six years every three months)."""


@dataclass(frozen=True)
class Goals:
    """Every goal of the simulation (also after the extraction), ordered by client and day."""

    person: np.ndarray
    domain: np.ndarray
    set_on: np.ndarray
    due: np.ndarray
    assessed: np.ndarray  # the due day, or the day the client left the register before it
    cancelled: np.ndarray
    weight: np.ndarray


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, k): row i of the result belongs to owner[i] and is its k-th of counts[owner]."""
    owner = np.repeat(np.arange(len(counts)), counts)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, k


def _pick(g: np.random.Generator, name: str, n: int, code: tuple[str, ...] | None = None) -> np.ndarray:
    """`n` draws from the share table `name`: its keys as whole numbers, or as indices
    into `code` when given."""
    keys, w = shares(value(name))
    as_numbers = np.array([code.index(k) if code else int(k) for k in keys], dtype=np.int64)
    return as_numbers[categorical(g.random(n), w)]


def _plan_goals(area: Area) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(person, domain, set_on, due) of the goals set at the plan's start and reviews, in the
    service's domains while one runs."""
    r = area.regs
    g = rng(area.seed, "measurements", 10)
    stop = np.where(r.end == NO_DAY, area.timeline.horizon_end, r.end)
    first = r.start + int(value("goals.plan_days"))
    review = int(value("goals.review_days"))
    reviews = np.clip(-((first - stop) // review), 0, _MAX_REVIEWS)  # set days first + k * review < stop
    spell, k = _expand(reviews)
    review_row, nth = _expand(_pick(g, "goals.per_review", len(spell)))
    spell, set_on = spell[review_row], (first[spell] + k * review)[review_row]
    domain = _pick(g, "goals.plan_domains", len(spell), DOMAINS)
    in_service = _service_domains(area, r.person[spell], set_on, nth)
    months = _pick(g, "goals.plan_months", len(spell))
    due = set_on + np.round(months * AVERAGE_MONTH_DAYS).astype(np.int64)
    return r.person[spell], np.where(in_service >= 0, in_service, domain), set_on, due


def _service_domains(area: Area, person: np.ndarray, set_on: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The domain of each goal set while the client's service runs (the service's goals,
    `services.goals`, in turn), -1 for the others."""
    s = area.services
    table = value("services.goals")
    per = [[DOMAINS.index(d) for d in table[c]] for c in codes.SERVICES]
    padded = np.array([[p[i % len(p)] for i in range(max(map(len, per)))] for p in per])
    end = np.where(s.end_day[person] < 0, s.planned_end_day[person], s.end_day[person])
    during = (s.service[person] >= 0) & ~s.parked[person].astype(bool) & (s.start_day[person] <= set_on) & (set_on <= end)
    chosen = padded[np.maximum(s.service[person], 0), k % padded.shape[1]]
    return np.where(during, chosen, -1)


def _spell_end(area: Area, person: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The end of the registration spell running on `day` (NO_DAY if open or none)."""
    r = area.regs
    big = np.int64(1 << 32)
    keys = r.person.astype(np.int64) * big + r.start
    at = np.searchsorted(keys, person.astype(np.int64) * big + day, side="right") - 1
    ok = (at >= 0) & (r.person[np.maximum(at, 0)] == person)
    return np.where(ok, r.end[np.maximum(at, 0)], NO_DAY)


def all_goals(area: Area) -> Goals:
    """Every goal, ordered by client, set day, due day and domain."""
    person, domain, set_on, due = _plan_goals(area)
    order = np.lexsort((domain, due, set_on, person))
    person, domain, set_on, due = person[order], domain[order], set_on[order], due[order]
    end = _spell_end(area, person, set_on)
    left = (end != NO_DAY) & (end < due)
    assessed = np.where(left, np.maximum(end, set_on), due)
    g = rng(area.seed, "measurements", 11)
    cancelled = left & (g.random(len(person)) < value("goals.cancelled_when_left"))
    return Goals(person, domain, set_on, due, assessed, cancelled, gas_weights(area, len(person)))


def service_share(area: Area, goals: Goals) -> np.ndarray:
    """The share of each goal's time (set day to assessment) that the client's service ran,
    0 for a client with no service or a parked one."""
    s = area.services
    person = goals.person
    active = (s.service[person] >= 0) & ~s.parked[person].astype(bool)
    start = s.start_day[person]
    end = np.where(s.end_day[person] < 0, goals.assessed, s.end_day[person])
    overlap = np.minimum(goals.assessed, end) - np.maximum(goals.set_on, start)
    span = np.maximum(goals.assessed - goals.set_on, 1)
    return np.where(active, np.clip(overlap / span, 0.0, 1.0), 0.0)


def true_shift(area: Area, goals: Goals) -> np.ndarray:
    """The service's true shift of each goal's latent attainment (see the module docstring)."""
    s = area.services
    table = value("services.goal_effects")
    effect = np.array([float(table[c]) for c in codes.SERVICES])[np.maximum(s.service[goals.person], 0)]
    weaker = 1.0 - value("goals.effect_partial_work_ability_cut") * area.pop.pwa[goals.person]
    return effect * s.quality[goals.person] * weaker * service_share(area, goals)


def _personal_level(area: Area) -> np.ndarray:
    """Each client's latent attainment level without a service (`goals.attainment`)."""
    pop, c = area.pop, value("goals.attainment")
    long_term = (pop.continuing0 >= 12) | (pop.prev36_0 >= 24)
    older = (pop.entry_day - pop.birth_day) / 365.25 >= 55
    own = rng(area.seed, "measurements", 12).standard_normal(pop.size)
    return c["mean"] + c["pwa"] * pop.pwa + c["long_term"] * long_term + c["older"] * older + c["person_sd"] * own


def level_of(latent: np.ndarray) -> np.ndarray:
    """The GAS level (-2..+2) of a latent attainment, cut at `goals.gas_cuts`."""
    return np.searchsorted(np.asarray(value("goals.gas_cuts"), dtype=float), latent, side="right") - 2


def goal_levels(area: Area, goals: Goals) -> tuple[np.ndarray, np.ndarray]:
    """(level with the service, level without it) of every goal, on the same noise."""
    noise = rng(area.seed, "measurements", 13).standard_normal(len(goals.person))
    without = _personal_level(area)[goals.person] + value("goals.attainment")["goal_sd"] * noise
    return level_of(without + true_shift(area, goals)), level_of(without)


def gas_weights(area: Area, n: int) -> np.ndarray:
    """Importance x difficulty of each goal, drawn from their own stream."""
    g = rng(area.seed, "measurements", 14)
    importance = g.choice(np.asarray(value("goals.gas_importance"), dtype=float), n)
    difficulty = g.choice(np.asarray(value("goals.gas_difficulty"), dtype=float), n)
    return importance * difficulty


def status_of(area: Area, goals: Goals, level: np.ndarray) -> np.ndarray:
    """0 open (assessed after the extraction), 1 achieved (level >= 0), 2 partly achieved
    (-1), 3 not achieved (-2), 4 cancelled (see STATUS)."""
    by_level = np.select([level >= 0, level == -1], [1, 2], 3)
    return np.where(goals.assessed > area.extraction, 0, np.where(goals.cancelled, 4, by_level))


def baselines(area: Area, goals: Goals, occ: Occasions, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(baseline, target): the latest measured value of the goal's item on or before the day
    it was set, and a step above it capped at the scale's top; NaN where none."""
    items = value("goals.domain_items")
    item = np.array([ITEMS.index(items[d]) if d in items else -1 for d in DOMAINS])[goals.domain]
    big = np.int64(1 << 32)
    keys = occ.person.astype(np.int64) * big + occ.day
    at = np.searchsorted(keys, goals.person.astype(np.int64) * big + goals.set_on, side="right") - 1
    ok = (item >= 0) & (at >= 0) & (occ.person[np.maximum(at, 0)] == goals.person)
    baseline = np.where(ok, values[np.maximum(at, 0), np.maximum(item, 0)], np.nan)
    step = value("goals.target_gain")
    top = np.array([SCALES[i][1] for i in ITEMS])[np.maximum(item, 0)]
    target = np.minimum(baseline + np.where(item == 0, step["work_ability_score"], step["change_meter"]), top)
    return baseline, target


def goal_table(area: Area, occ: Occasions, values: np.ndarray) -> dict[str, pa.Array]:
    """goal.csv: the goals set by the extraction day; open goals show no due date (it is
    after the extraction) and closed, not cancelled ones their GAS level."""
    goals = all_goals(area)
    level, _ = goal_levels(area, goals)
    shown = goals.set_on <= area.extraction
    goals = Goals(*(getattr(goals, f)[shown] for f in Goals.__dataclass_fields__))
    level = level[shown]
    status = status_of(area, goals, level)
    baseline, target = baselines(area, goals, occ, values)
    known = ~np.isnan(baseline)
    return {
        "goal_id": identifiers("G", np.arange(1, len(level) + 1), 8),
        "hetu": area.hetus(goals.person),
        "domain": labels(DOMAINS, goals.domain),
        "baseline": numbers(np.nan_to_num(baseline), known),
        "target": numbers(np.nan_to_num(target), known),
        "set_on": dates(goals.set_on),
        "due": dates(np.where(goals.due <= area.extraction, goals.due, NO_DAY)),
        "status": labels(STATUS, status),
        "gas_level": numbers(level, (status >= 1) & (status <= 3), integer=True),
        "gas_weight": numbers(goals.weight),
    }
