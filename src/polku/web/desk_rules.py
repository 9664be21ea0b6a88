"""The own desk's rules of thumb, as pure functions: flags, goals due, change since entry.

They only point at clients to look at; none decides anything. Kept apart from the queries
(`polku.web.desk`) so each can be tested by hand:
- `no_service_3m`: registered (or waiting) and no service running or ended in the last 3
  months (91 days), or none ever;
- `long_term_approaching`: the current registration spell is 10 to 12 months old, so the
  client becomes long-term unemployed (12 months, the official definition) within 2 months;
- `falling`: an item's last three measurements each worse than the one before, or the
  latest a reliable deterioration from the one before (the reliable change index of
  `polku.change.formulas`, Jacobson and Truax 1991, with the instrument's reliability and
  reference SD where the instrument file gives one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from polku.change.formulas import change_class, reliable_change
from polku.change.instrument import Item

NO_SERVICE_DAYS = 91
LONG_TERM_DAYS = 365
APPROACHING_DAYS = 61
GOAL_SOON_DAYS = 30
FLAGS = ("no_service_3m", "long_term_approaching", "falling")


def falling(values: Sequence[float], item: Item | None = None) -> bool:
    """The last three values each worse than the one before, or a reliable deterioration last time."""
    sign = item.direction if item is not None else 1
    v = [sign * x for x in values]
    if len(v) >= 3 and v[-1] < v[-2] < v[-3]:
        return True
    if len(v) >= 2 and item is not None and item.reference_sd:
        rci = reliable_change(v[-2], v[-1], item.reference_sd, item.reliability)
        return change_class(rci) == "worsened"
    return False


def flags(stage: str, days_since_service: int | None, spell_days: int | None, falling_items: Sequence[str]) -> list[str]:
    """The desk's flags for one client (see the module docstring)."""
    found = []
    idle = days_since_service is None or days_since_service > NO_SERVICE_DAYS
    if stage in ("registered", "waiting") and idle:
        found.append("no_service_3m")
    if spell_days is not None and LONG_TERM_DAYS - APPROACHING_DAYS <= spell_days < LONG_TERM_DAYS:
        found.append("long_term_approaching")
    if falling_items:
        found.append("falling")
    return found


def goal_state(status: str | None, due: dt.date | None, as_of: dt.date) -> str | None:
    """'overdue' (open and past its due day), 'due' (open and due within 30 days), else None."""
    if status != "open" or due is None:
        return None
    if due < as_of:
        return "overdue"
    return "due" if (due - as_of).days <= GOAL_SOON_DAYS else None


@dataclass(frozen=True)
class Change:
    """One item's first and latest values, their difference and, where the instrument allows,
    the reliable-change class (improved, unchanged, worsened)."""

    item: str
    first: float
    latest: float
    latest_on: dt.date
    difference: float
    reliable: str | None


def change_since_entry(item: str, dated: Sequence[tuple[dt.date, float]], known: Item | None) -> Change:
    """The change of one item from its first to its latest measurement (oldest first in `dated`)."""
    first, latest = dated[0][1], dated[-1][1]
    reliable = None
    if known is not None and known.reference_sd and len(dated) > 1:
        rci = reliable_change(first, latest, known.reference_sd, known.reliability)
        reliable = change_class(rci, known.direction > 0)
    return Change(item, first, latest, dated[-1][0], latest - first, reliable)
