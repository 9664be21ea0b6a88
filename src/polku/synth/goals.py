"""Change goals set at the start of each service, with baseline, target and status.

The baseline is the domain's item at the first measurement of the episode, the target a
fixed step above it; the status on the extraction day compares the last measurement with
the target (employment goals: whether an open-market job started by the due date). Goals
whose due date is after the extraction day are open (and, like every date after the
extraction, the due date is not shown). A closed goal also gets its Goal Attainment Scaling
level (-2..+2) from the same comparison, and every goal a weight, importance x difficulty
(`goals.gas_*` in assumptions.yaml).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from polku.synth import codes
from polku.synth.area import Area
from polku.synth.behaviour import served_episodes
from polku.synth.core_tables import episode_end
from polku.synth.csvout import dates, identifiers, labels, numbers
from polku.synth.measurements import ITEMS, SCALES, Occasions
from polku.synth.params import value
from polku.synth.records import NO_DAY
from polku.synth.service_state import COMPLETED
from polku.synth.streams import rng

DOMAINS = ("work_ability", "skills", "job_search", "life_management", "wellbeing", "employment", "education")
STATUS = ("open", "achieved", "partly_achieved", "not_achieved", "cancelled")


def _first_last(occ: Occasions, person: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row of the first and last served occasion of each client in `person` (-1 if none)."""
    rows = np.flatnonzero(occ.served)
    first = np.full(len(person), -1)
    last = np.full(len(person), -1)
    pos = np.searchsorted(person, occ.person[rows])
    ok = (pos < len(person)) & (person[np.minimum(pos, len(person) - 1)] == occ.person[rows])
    rows, pos = rows[ok], pos[ok]
    last[pos] = rows  # rows ascend by person and day, so the last write is the last occasion
    first[pos[::-1]] = rows[::-1]
    return first, last


def _employed_by(area: Area, person: np.ndarray, start: np.ndarray, due: np.ndarray) -> np.ndarray:
    j = area.jobs
    open_jobs = np.flatnonzero(~j.subsidised)
    hit = np.zeros(len(person), dtype=bool)
    pos = np.searchsorted(person, j.person[open_jobs])
    ok = pos < len(person)
    ok[ok] = person[pos[ok]] == j.person[open_jobs][ok]
    jj, pp = open_jobs[ok], pos[ok]
    inside = (j.start[jj] >= start[pp]) & (j.start[jj] <= due[pp])
    hit[pp[inside]] = True
    return hit


def goal_rows(area: Area, occ: Occasions, values: np.ndarray) -> dict[str, np.ndarray]:
    """One row per goal: client, domain, baseline, target, set_on, due, status."""
    s, person = area.services, served_episodes(area)  # parked clients get none (polku.synth.behaviour)
    goals = value("services.goals")
    per = [[DOMAINS.index(d) for d in goals[c]] for c in codes.SERVICES]
    count = np.array([len(p) for p in per])[s.service[person]]
    who = np.repeat(np.arange(len(person)), count)
    k = np.arange(len(who)) - np.repeat(np.cumsum(count) - count, count)
    table = np.full((len(codes.SERVICES), max(map(len, per))), -1)
    for i, p in enumerate(per):
        table[i, : len(p)] = p
    domain = table[s.service[person][who], k]
    first, last = _first_last(occ, person)
    items = value("goals.domain_items")
    item = np.array([ITEMS.index(items[d]) if d in items else -1 for d in DOMAINS])[domain]
    has = (item >= 0) & (first[who] >= 0)
    baseline = np.where(has, values[first[who], np.maximum(item, 0)], np.nan)
    latest = np.where(has, values[last[who], np.maximum(item, 0)], np.nan)
    step = value("goals.target_gain")
    top = np.array([SCALES[i][1] for i in ITEMS])[np.maximum(item, 0)]
    target = np.minimum(baseline + np.where(item == 0, step["work_ability_score"], step["change_meter"]), top)
    due = s.planned_end_day[person][who]
    start = s.start_day[person][who]
    status = _status(area, person, who, baseline, target, latest, due, start, domain)
    return {
        "person": person[who],
        "domain": domain,
        "baseline": baseline,
        "target": target,
        "set_on": start,
        "due": due,
        "status": status,
        "latest": latest,
    }


def _status(
    area: Area,
    person: np.ndarray,
    who: np.ndarray,
    baseline: np.ndarray,
    target: np.ndarray,
    latest: np.ndarray,
    due: np.ndarray,
    start: np.ndarray,
    domain: np.ndarray,
) -> np.ndarray:
    """0 open, 1 achieved, 2 partly achieved, 3 not achieved, 4 cancelled (see STATUS)."""
    s = area.services
    ended = episode_end(area, person)[who] != NO_DAY
    interrupted = ended & (s.completed[person][who] != COMPLETED)
    measured = np.select([latest >= target, latest > baseline], [1, 2], 3)
    employment = domain == DOMAINS.index("employment")
    measured = np.where(employment, np.where(_employed_by(area, person[who], start, due), 1, 3), measured)
    g = rng(area.seed, "measurements", 3)
    cancel = interrupted & (g.random(len(who)) < value("goals.cancelled_when_interrupted"))
    closed = ended | (due <= area.extraction)
    return np.where(~closed, 0, np.where(cancel, 4, measured))


def gas_levels(g: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(level, valid): the GAS level of each goal and whether it has one (closed, not
    cancelled, and followed by a measurement or a register); see goals.gas_levels."""
    p = value("goals.gas_levels")
    baseline, target, latest = g["baseline"], g["target"], g["latest"]
    register = np.isnan(baseline) & np.isin(g["domain"], [DOMAINS.index("employment"), DOMAINS.index("education")])
    step = np.nan_to_num(target - baseline)
    excess = np.nan_to_num(latest - target)
    measured = np.select(
        [
            latest < baseline,
            latest < target,
            (step > 0) & (excess >= p["much_more_at"] * step),
            (step > 0) & (excess >= p["more_at"] * step),
        ],
        [p["worse"], p["short"], p["much_more"], p["more"]],
        p["reached"],
    )
    level = np.where(register, np.where(g["status"] == STATUS.index("achieved"), p["reached"], p["short"]), measured)
    closed = np.isin(g["status"], [STATUS.index(s) for s in ("achieved", "partly_achieved", "not_achieved")])
    return level.astype(np.int64), closed & (register | ~np.isnan(baseline))


def gas_weights(area: Area, n: int) -> np.ndarray:
    """Importance x difficulty of each goal, drawn from their own stream."""
    g = rng(area.seed, "measurements", 4)
    importance = g.choice(np.asarray(value("goals.gas_importance"), dtype=float), n)
    difficulty = g.choice(np.asarray(value("goals.gas_difficulty"), dtype=float), n)
    return importance * difficulty


def goal_table(area: Area, occ: Occasions, values: np.ndarray) -> dict[str, pa.Array]:
    g = goal_rows(area, occ, values)
    n = len(g["person"])
    known = ~np.isnan(g["baseline"])
    level, has_level = gas_levels(g)
    return {
        "goal_id": identifiers("G", np.arange(1, n + 1), 8),
        "hetu": area.hetus(g["person"]),
        "domain": labels(DOMAINS, g["domain"]),
        "baseline": numbers(np.nan_to_num(g["baseline"]), known),
        "target": numbers(np.nan_to_num(g["target"]), known),
        "set_on": dates(g["set_on"]),
        "due": dates(np.where(g["due"] <= area.extraction, g["due"], NO_DAY)),
        "status": labels(STATUS, g["status"]),
        "gas_level": numbers(level, has_level, integer=True),
        "gas_weight": numbers(gas_weights(area, n)),
    }
