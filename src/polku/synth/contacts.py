"""Contacts between case worker and client, and the clients' monthly job-application reports.

The Nordic job-search model (from 2 May 2022) sets both: an initial interview within 5
working days of registration, job-search discussions every 2 weeks in the first 3 months
and again in a second intensive period from 6 months, and normally 4 applications a month
reported monthly (`polku/obligations/rules`). The generator follows it, mostly: most
initial interviews are on time and the rest late, some discussions are missed, a fifth of
clients report fewer applications than required and a few months go unreported
(`contacts.*` and `applications.*` in assumptions.yaml). Spells that began before the
model get a discussion about every 3 months and no application reports. Working days are
Monday to Friday (public holidays are not taken out). Nothing after the extraction day is
written.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from polku.synth.area import Area
from polku.synth.csvout import dates, identifiers, labels, numbers
from polku.synth.params import value
from polku.synth.records import NO_DAY
from polku.synth.streams import rng
from polku.synth.timeline import day_number

KINDS = ("initial_interview", "job_search_discussion", "supplementary_discussion", "other")
CHANNELS = ("in_person", "phone", "video")
_OTHER_MAX = 6


def _working_days_after(days: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The day `count` working days (Mon-Fri) after each day."""
    start = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    return np.busday_offset(start, count, roll="forward").astype(np.int64)


def _spells(area: Area) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(person, start, last day seen) of every registration spell in the export."""
    r = area.regs
    shown = r.start <= area.extraction
    end = np.where((r.end == NO_DAY) | (r.end > area.extraction), area.extraction, r.end)
    return r.person[shown], r.start[shown], end[shown]


def _offsets(model: bool) -> np.ndarray:
    """Days after registration on which discussions fall due (see the module docstring)."""
    step = int(value("contacts.discussion_interval_days"))
    later = int(value("contacts.later_interval_days"))
    if not model:
        return later * np.arange(1, 13)
    first, second = (round(m * 365.25 / 12) for m in value("contacts.intensive_period_months"))
    intensive = np.arange(step, first + 1, step)
    again = np.arange(second, second + first, step)
    rest = np.concatenate([[(first + second) // 2], second + first + later * np.arange(0, 12)])
    return np.concatenate([intensive, again, rest])


def _discussions(area: Area, person: np.ndarray, anchor: np.ndarray, last: np.ndarray, model: bool) -> tuple:
    """(person, day, kind) of the discussions held for these spells."""
    offsets = _offsets(model)
    g = rng(area.seed, "contacts", 2 if model else 3)
    jitter = int(value("contacts.discussion_jitter_days"))
    days = anchor[:, None] + offsets[None, :] + g.integers(-jitter, jitter + 1, (len(anchor), len(offsets)))
    held = (days <= last[:, None]) & (g.random(days.shape) >= value("contacts.discussion_missed"))
    rows, cols = np.nonzero(held)
    second = round(value("contacts.intensive_period_months")[1] * 365.25 / 12)
    kind = np.where(model & (offsets[cols] >= second), 2, 1)
    return person[rows], days[rows, cols], kind


def _initial(area: Area, person: np.ndarray, start: np.ndarray, last: np.ndarray) -> tuple:
    """(person, day, kind) of initial interviews: on time (1-5 working days) or late (6-15)."""
    g = rng(area.seed, "contacts", 1)
    on_time = g.random(len(start)) < value("contacts.initial_interview_on_time")
    delay = np.where(on_time, g.integers(1, 6, len(start)), g.integers(6, 16, len(start)))
    day = _working_days_after(start, delay)
    held = (day <= last) & (g.random(len(start)) >= value("contacts.initial_interview_missing"))
    return person[held], day[held], np.zeros(int(held.sum()), dtype=np.int64)


def _other(area: Area, person: np.ndarray, start: np.ndarray, last: np.ndarray) -> tuple:
    """(person, day, kind) of other contacts, at random days of the spell."""
    g = rng(area.seed, "contacts", 4)
    length = np.maximum(last - start, 0)
    count = np.minimum(g.poisson(value("contacts.other_contacts_per_year") * length / 365.25), _OTHER_MAX)
    who = np.repeat(np.arange(len(start)), count)
    day = start[who] + (g.random(len(who)) * (length[who] + 1)).astype(np.int64)
    return person[who], day, np.full(len(who), KINDS.index("other"), dtype=np.int64)


def contact_rows(area: Area) -> dict[str, np.ndarray]:
    """Every contact up to the extraction day, ordered by person and day."""
    person, start, last = _spells(area)
    model = start >= day_number(value("contacts.model_start"))
    parts = [
        _initial(area, person[model], start[model], last[model]),
        _discussions(area, person[model], start[model], last[model], True),
        _discussions(area, person[~model], start[~model], last[~model], False),
        _other(area, person, start, last),
    ]
    who, day, kind = (np.concatenate([p[i] for p in parts]) for i in range(3))
    order = np.lexsort((kind, day, who))
    g = rng(area.seed, "contacts", 5)
    shares = value("contacts.channel_shares")
    channel = g.choice(len(CHANNELS), len(order), p=[shares[c] for c in CHANNELS])
    return {"person": who[order], "day": day[order], "kind": kind[order], "channel": channel}


def contact_table(area: Area) -> dict[str, pa.Array]:
    c = contact_rows(area)
    n = len(c["person"])
    return {
        "contact_id": identifiers("C", np.arange(1, n + 1), 8),
        "hetu": area.hetus(c["person"]),
        "contact_date": dates(c["day"]),
        "kind": labels(KINDS, c["kind"]),
        "channel": labels(CHANNELS, c["channel"]),
        "case_worker_id": identifiers("CW", area.org.case_worker[c["person"]] + 1, 4),
    }


def _report_months(area: Area) -> tuple[np.ndarray, np.ndarray]:
    """(person, month index) of every whole calendar month of a model-era spell that ended
    before the extraction day."""
    person, start, last = _spells(area)
    starts = area.timeline.month_starts
    first = np.searchsorted(starts, np.maximum(start, day_number(value("contacts.model_start"))), side="left")
    final = np.searchsorted(starts, last + 1, side="right") - 2  # the last month that ended by `last`
    count = np.maximum(final - first + 1, 0)
    who = np.repeat(np.arange(len(person)), count)
    month = first[who] + np.arange(len(who)) - np.repeat(np.cumsum(count) - count, count)
    return person[who], month


def application_rows(area: Area) -> dict[str, np.ndarray]:
    """One report per client and whole month registered; low reporters report fewer."""
    person, month = _report_months(area)
    g = rng(area.seed, "contacts", 6)
    low = rng(area.seed, "contacts", 7).random(area.pop.size) < value("applications.low_reporter_share")
    required = int(value("applications.required_per_month"))
    count = np.where(
        low[person],
        g.poisson(value("applications.low_reporter_mean"), len(person)),
        required + g.poisson(value("applications.extra_mean"), len(person)),
    )
    lo, hi = value("applications.report_delay_days")
    reported = area.timeline.month_starts[month + 1] - 1 + g.integers(lo, hi + 1, len(person))
    kept = (reported <= area.extraction) & (g.random(len(person)) >= value("applications.report_missing"))
    return {
        "person": person[kept],
        "month": area.timeline.month_starts[month[kept]],
        "reported": reported[kept],
        "count": count[kept],
    }


def job_application_table(area: Area) -> dict[str, pa.Array]:
    a = application_rows(area)
    n = len(a["person"])
    return {
        "report_id": identifiers("JA", np.arange(1, n + 1), 8),
        "hetu": area.hetus(a["person"]),
        "month": dates(a["month"]),
        "reported_on": dates(a["reported"]),
        "applications": numbers(a["count"], integer=True),
    }
