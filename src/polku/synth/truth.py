"""Ground truth: each participant's outcomes with and without the service, and true effects.

Outcomes count open-market (unsubsidised) employment only, from the day the service
started: employed at some point within 3, 6, 12 and 24 months; days employed and earnings
in the first 12 and 24 months. "With" is the observed world; "without" is the world where
that client's episode never started, run on the same random numbers. The simulation runs
26 months past the extraction, so every window is complete even for the latest starts.
`change_table` gives the measured levels' truth in the same way (issue 17 point 3), and
`goals_table` the truth of reaching the plan's goals.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from polku.change.formulas import gas_t_scores
from polku.synth import codes
from polku.synth.area import Area
from polku.synth.core_tables import episode_ids, episode_status
from polku.synth.csvout import dates, flags, labels, money, numbers
from polku.synth.goals import all_goals, goal_levels
from polku.synth.measurements import FOLLOW_UP_DAYS, ITEMS, change_truth
from polku.synth.records import NO_DAY, Jobs
from polku.synth.services import AVERAGE_MONTH_DAYS, providers

WINDOWS = (3, 6, 12, 24)
AMOUNT_WINDOWS = (12, 24)
OUTCOMES = tuple(f"employed_{k}m" for k in WINDOWS) + tuple(
    f"{what}_{k}m" for what in ("days_employed", "earnings") for k in AMOUNT_WINDOWS
)


def _window_days(months: int) -> int:
    return int(round(months * AVERAGE_MONTH_DAYS))


def outcomes(jobs: Jobs, person: np.ndarray, start: np.ndarray, horizon_end: int) -> dict[str, np.ndarray]:
    """Outcomes of the sorted clients `person` whose follow-up starts on `start`."""
    open_market = np.flatnonzero(~jobs.subsidised)
    pos = np.searchsorted(person, jobs.person[open_market])
    ok = pos < len(person)
    ok[ok] = person[pos[ok]] == jobs.person[open_market][ok]
    j, p = open_market[ok], pos[ok]
    job_end = np.where(jobs.end[j] == NO_DAY, horizon_end, jobs.end[j])
    out: dict[str, np.ndarray] = {}
    for k in WINDOWS:
        last = start[p] + _window_days(k) - 1
        first_day = np.maximum(jobs.start[j], start[p])
        days = np.maximum(np.minimum(job_end, last) - first_day + 1, 0)
        out[f"employed_{k}m"] = np.bincount(p, weights=(days > 0), minlength=len(person)) > 0
        if k in AMOUNT_WINDOWS:
            out[f"days_employed_{k}m"] = np.bincount(p, weights=days, minlength=len(person)).astype(np.int64)
            pay = days * jobs.wage[j] / AVERAGE_MONTH_DAYS
            out[f"earnings_{k}m"] = np.round(np.bincount(p, weights=pay, minlength=len(person)), 2)
    return {name: out[name] for name in OUTCOMES}


def potential_outcomes(area: Area) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(with service, without service) outcomes of every exported episode, in episode order."""
    person = area.episodes
    start = area.services.start_day[person]
    end = area.timeline.horizon_end
    return outcomes(area.jobs, person, start, end), outcomes(area.counterfactual_jobs, person, start, end)


def episodes_table(area: Area) -> dict[str, pa.Array]:
    """ground_truth_episodes.csv: linkage by episode id and client sequence, never the hetu."""
    person = area.episodes
    s = area.services
    with_, without = potential_outcomes(area)
    columns: dict[str, pa.Array] = {
        "episode_id": episode_ids(person),
        "person_seq": numbers(person + 1, integer=True),
        "service_code": labels(codes.SERVICES, s.service[person]),
        "provider_id": labels(providers().ids, s.provider[person]),
        "client_group": labels(codes.GROUPS, s.group[person]),
        "start_date": dates(s.start_day[person]),
        "completion_status": labels(codes.COMPLETION, episode_status(area, person)),
    }
    for name in OUTCOMES:
        for world, values in (("with", with_[name]), ("without", without[name])):
            columns[f"{name}_{world}"] = _column(name, values)
    return columns


def _column(name: str, values: np.ndarray) -> pa.Array:
    if name.startswith("employed"):
        return flags(values)
    if name.startswith("earnings"):
        return money(values)
    return numbers(values, integer=True)


def _rows(level: str, service: str, group: str, provider: str, with_: dict, without: dict, mask: np.ndarray) -> list:
    rows = []
    for name in OUTCOMES:
        a, b = with_[name][mask].astype(np.float64), without[name][mask].astype(np.float64)
        rows.append((level, service, group, provider, name, int(mask.sum()), a.mean(), b.mean(), a.mean() - b.mean()))
    return rows


def effect_rows(area: Area) -> list[tuple]:
    """True ATTs by service, service x client group, provider and service x provider."""
    s, person = area.services, area.episodes
    with_, without = potential_outcomes(area)
    service, group, provider = s.service[person], s.group[person], s.provider[person]
    ids = providers().ids
    rows: list[tuple] = []
    for si, name in enumerate(codes.SERVICES):
        mine = service == si
        if mine.any():
            rows += _rows("service", name, "", "", with_, without, mine)
        for gi, gname in enumerate(codes.GROUPS):
            if (mine & (group == gi)).any():
                rows += _rows("service_group", name, gname, "", with_, without, mine & (group == gi))
        for pi, pname in enumerate(ids):
            if (mine & (provider == pi)).any():
                rows += _rows("service_provider", name, "", pname, with_, without, mine & (provider == pi))
    for pi, pname in enumerate(ids):
        if (provider == pi).any():
            rows += _rows("provider", "", "", pname, with_, without, provider == pi)
    return rows


EFFECT_COLUMNS = (
    "level",
    "service_code",
    "client_group",
    "provider_id",
    "outcome",
    "participants",
    "mean_with",
    "mean_without",
    "att",
)


def effects_table(area: Area) -> dict[str, pa.Array]:
    rows = effect_rows(area)
    cols = list(zip(*rows)) if rows else [() for _ in EFFECT_COLUMNS]
    text = {name: pa.array([v or None for v in cols[i]], type=pa.string()) for i, name in enumerate(EFFECT_COLUMNS[:5])}
    return {
        **text,
        "participants": pa.array(cols[5], type=pa.int64()),
        **{name: pa.array(np.round(np.asarray(cols[i], dtype=np.float64), 6)) for i, name in enumerate(EFFECT_COLUMNS[6:], 6)},
    }


def change_table(area: Area) -> dict[str, pa.Array]:
    """ground_truth_change.csv: for each participant episode, item and follow-up (6 and 12
    months after the start), the change from the start with and without the service on the
    same noise (`polku.synth.measurements.change_truth`), whether or not it was measured."""
    truth = change_truth(area)
    person = truth["person"]
    n, k, m = truth["with"].shape
    episode = np.repeat(np.arange(n), k * m)
    months = np.tile(np.repeat([round(d / 30.4) for d in FOLLOW_UP_DAYS], m), n)
    item = np.tile(np.arange(m), n * k)
    ids = episode_ids(person)
    return {
        "episode_id": ids.take(pa.array(episode)),
        "service_code": labels(codes.SERVICES, area.services.service[person][episode]),
        "item": labels(ITEMS, item),
        "months": numbers(months, integer=True),
        "change_with": numbers(np.round(truth["with"].ravel(), 1)),
        "change_without": numbers(np.round(truth["without"].ravel(), 1)),
    }


GOAL_WINDOWS = (6, 12)
"""Months after the start within which goals fall due (`polku.change.goal_effects`)."""


def goal_truth(area: Area) -> dict[str, np.ndarray]:
    """Per exported episode and window W (`GOAL_WINDOWS`): the participant's goals that fall
    due in (start, start + W months] and were not cancelled, the share of them reached
    (GAS level >= 0) and their weighted GAS T-score, with and without the service on the
    same noise (`polku.synth.goals.goal_levels`), whether or not due by the extraction."""
    person, start = area.episodes, area.services.start_day[area.episodes]
    goals = all_goals(area)
    with_, without = goal_levels(area, goals)
    at = np.minimum(np.searchsorted(person, goals.person), max(len(person) - 1, 0))
    mine = np.isin(goals.person, person) & ~goals.cancelled
    begin = start[at] if len(person) else np.zeros(len(at), dtype=np.int64)  # no episode: no goal is mine
    names = ("months", "goals", "reached_with", "reached_without", "t_with", "t_without")
    out: dict[str, list[np.ndarray]] = {k: [] for k in names}
    for months in GOAL_WINDOWS:
        due = mine & (goals.due > begin) & (goals.due <= begin + _window_days(months))
        group, n = at[due], len(person)
        count = np.bincount(group, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            for world, level in (("with", with_[due]), ("without", without[due])):
                out[f"reached_{world}"].append(np.bincount(group, weights=level >= 0, minlength=n) / count)
                out[f"t_{world}"].append(gas_t_scores(group, level, goals.weight[due], n))
        out["months"].append(np.full(n, months))
        out["goals"].append(count)
    return {"person": np.tile(person, len(GOAL_WINDOWS))} | {k: np.concatenate(v) for k, v in out.items()}


def goals_table(area: Area) -> dict[str, pa.Array]:
    """ground_truth_goals.csv: for each participant episode and window (6 and 12 months
    after the start), the goals due in it, the share reached and the GAS T-score with and
    without the service (`goal_truth`); empty shares and scores where no goal fell due."""
    truth = goal_truth(area)
    person = truth["person"]
    episode = np.searchsorted(area.episodes, person)
    has = truth["goals"] > 0
    return {
        "episode_id": episode_ids(area.episodes).take(pa.array(episode)),
        "service_code": labels(codes.SERVICES, area.services.service[person]),
        "months": numbers(truth["months"], integer=True),
        "goals": numbers(truth["goals"], integer=True),
        **{
            name: numbers(np.round(np.nan_to_num(truth[name]), 6), has)
            for name in ("reached_with", "reached_without", "t_with", "t_without")
        },
    }
