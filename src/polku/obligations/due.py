"""What the job-search obligations ask of one client on one day: meetings due and applications.

Pure functions of the registration date, the client's contacts and application reports, the
day and a rule set (`polku.obligations.rules`): no store, no clock. The rule set is the one
in force on the registration day; a spell that began before the first rule set is not under
the model (no obligations), and a proposed regime applies only when named.

Meetings. The initial interview is due `initial_interview_working_days` working days
(Mon-Fri; public holidays are not taken out) after registration and is met by a contact of
kind `initial_interview`. In an intensive period (the first `intensive_period_months`, and
again for `repeat_intensive_months` from `repeat_intensive_after_months`), a discussion is
due every `discussion_interval_days` from the period's start. The k-th due discussion of a
period is met by the k-th discussion held in that period (`job_search_discussion` or
`supplementary_discussion`): on time when held by its due day, late otherwise. A meeting not
held is overdue after its due day, due within the next interval, upcoming after that.

Applications. Every whole calendar month registered after the registration day that ended
before the day asks for `applications_per_month`; part-time workers are asked for
`part_time_applications` per `part_time_period_months`, counted over whole periods. A month
with no report counts as none reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from polku.obligations.rules import RuleSet, rule_sets, rules_on

DISCUSSIONS = ("job_search_discussion", "supplementary_discussion")


@dataclass(frozen=True)
class Meeting:
    kind: str  # "initial_interview" or "discussion"
    due: dt.date
    held_on: dt.date | None
    status: str  # held, held_late, overdue, due, upcoming


@dataclass(frozen=True)
class ApplicationPeriod:
    first_month: dt.date
    months: int
    required: int
    reported: int | None  # None: no report for any month of the period

    @property
    def short(self) -> bool:
        return (self.reported or 0) < self.required


@dataclass(frozen=True)
class Obligations:
    rules: RuleSet | None
    meetings: tuple[Meeting, ...]
    applications: tuple[ApplicationPeriod, ...]

    @property
    def overdue(self) -> int:
        return sum(m.status == "overdue" for m in self.meetings)

    @property
    def next_due(self) -> dt.date | None:
        open_ = [m.due for m in self.meetings if m.status in ("due", "upcoming", "overdue")]
        return min(open_) if open_ else None

    def applications_last(self, periods: int = 3) -> tuple[int, int]:
        """(required, reported) over the last `periods` periods (months, or 3-month periods part-time)."""
        recent = self.applications[-periods:]
        return sum(p.required for p in recent), sum(p.reported or 0 for p in recent)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (the month's last day where it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = (dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(day.day, last))


def working_days_after(day: dt.date, count: int) -> dt.date:
    """The day `count` working days (Mon-Fri) after `day`."""
    return dt.date.fromisoformat(str(np.busday_offset(np.datetime64(day, "D"), count, roll="forward")))


def _status(due: dt.date, held: dt.date | None, as_of: dt.date, interval: int) -> str:
    if held is not None:
        return "held" if held <= due else "held_late"
    if due < as_of:
        return "overdue"
    return "due" if (due - as_of).days <= interval else "upcoming"


def _period(first_due: dt.date, end: dt.date, rules: RuleSet, held: list[dt.date], as_of: dt.date) -> list[Meeting]:
    """The discussions due every interval from `first_due` up to `end`, matched in order with
    those held from one interval before the first to one after the last."""
    step = dt.timedelta(days=int(rules.discussion_interval_days))
    dues: list[dt.date] = []
    while first_due + step * len(dues) <= end:
        dues.append(first_due + step * len(dues))
    inside = sorted(d for d in held if first_due - step < d <= end + step)
    meetings = []
    for k, due in enumerate(dues):
        held_on = inside[k] if k < len(inside) else None
        meetings.append(Meeting("discussion", due, held_on, _status(due, held_on, as_of, step.days)))
    return meetings


def meetings_due(
    registered_on: dt.date, contacts: Iterable[tuple[dt.date, str]], as_of: dt.date, rules: RuleSet
) -> list[Meeting]:
    """The initial interview and the discussions the rules ask for, each with what was held."""
    held = [(day, kind) for day, kind in contacts if registered_on <= day <= as_of]
    first = [day for day, kind in held if kind == "initial_interview"]
    due = working_days_after(registered_on, int(rules.initial_interview_working_days))
    step = rules.discussion_interval_days
    found = [Meeting("initial_interview", due, min(first) if first else None, _status(due, min(first, default=None), as_of, 7))]
    if not step:
        return found
    talks = [day for day, kind in held if kind in DISCUSSIONS]
    first_due = registered_on + dt.timedelta(days=int(step))
    found += _period(first_due, add_months(registered_on, int(rules.intensive_period_months)), rules, talks, as_of)
    if rules.repeat_intensive_after_months:
        again = add_months(registered_on, int(rules.repeat_intensive_after_months))
        found += _period(again, add_months(again, int(rules.repeat_intensive_months)) - dt.timedelta(days=1), rules, talks, as_of)
    return [m for m in found if m.due <= add_months(as_of, 1)]


def _months(registered_on: dt.date, as_of: dt.date) -> list[dt.date]:
    """First days of the whole calendar months after `registered_on` that ended before `as_of`."""
    month = add_months(registered_on.replace(day=1), 1) if registered_on.day > 1 else registered_on
    found = []
    while add_months(month, 1) <= as_of:
        found.append(month)
        month = add_months(month, 1)
    return found


def applications_due(
    registered_on: dt.date, reports: Mapping[dt.date, int], as_of: dt.date, rules: RuleSet, *, part_time: bool = False
) -> list[ApplicationPeriod]:
    """Applications required against reported, per month (or per whole period when part-time)."""
    months = _months(registered_on, as_of)
    size = int(rules.part_time_period_months) if part_time else 1
    required = int(rules.part_time_applications if part_time else rules.applications_per_month)
    periods = []
    for i in range(0, len(months) - size + 1, size):
        block = months[i : i + size]
        counts = [reports[m] for m in block if m in reports]
        periods.append(ApplicationPeriod(block[0], size, required, sum(counts) if counts else None))
    return periods


def obligations(
    registered_on: dt.date,
    contacts: Iterable[tuple[dt.date, str]],
    reports: Mapping[dt.date, int],
    as_of: dt.date,
    *,
    regime: str | None = None,
    part_time: bool = False,
) -> Obligations:
    """A client's obligations on `as_of` under the rules in force on their registration day
    (or the named `regime`); none when the spell began before every rule set."""
    if regime is None and registered_on < min(r.valid_from for r in rule_sets().values()):
        return Obligations(None, (), ())
    rules = rules_on(registered_on, regime)
    return Obligations(
        rules,
        tuple(meetings_due(registered_on, contacts, as_of, rules)),
        tuple(applications_due(registered_on, reports, as_of, rules, part_time=part_time)),
    )
