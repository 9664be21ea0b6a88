"""Retention: remove every person whose last activity lies before a cut-off date.

A person's last activity is the latest date in any of their rows, in every table that holds
persons (every DATE column: starts, ends, referrals, measurements, goals' due dates). A
registration, benefit spell or service episode without an end date is still running, so
its person is never purged. Rows without any date (the `person` table) count only for a
person who has no dated row at all: then the date their rows were imported counts. This
keeps a yearly re-import of the person file from keeping everybody forever.

Quarantined rows go with their person (by pseudonym); rejected rows that name no person go
when the import that rejected them finished before the cut-off. A purge is not an erasure:
nobody goes on the suppression list, so a person who comes back to the services is
imported again. `dry_run` does all of it in a transaction that is rolled back, so the
counts are exact. The deletes are `polku.store.removal.purge_inactive`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from polku.errors import UsageError
from polku.store.connection import Store
from polku.store.removal import purge_inactive

_DURATION = re.compile(r"([0-9]{1,4})([ymd])")


@dataclass(frozen=True)
class Purge:
    """What a purge removed (or, with `dry_run`, would remove)."""

    cutoff: dt.date
    persons: int
    removed: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "persons": self.persons,
            "removed": dict(self.removed),
            "rows_removed": sum(self.removed.values()),
            "dry_run": self.dry_run,
        }

    def render(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        lines = [
            f"last activity before {self.cutoff.isoformat()}: {verb} {self.persons:,} persons, "
            f"{sum(self.removed.values()):,} rows" + (" (dry run: nothing was changed)" if self.dry_run else "")
        ]
        lines += [f"  {count:>8,}  {table}" for table, count in self.removed.items() if count]
        return "\n".join(lines)


def _months_back(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier, or that month's last day when it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def cutoff_date(text: str, today: dt.date) -> dt.date:
    """The cut-off from `--older-than`: a date (YYYY-MM-DD), or a period before `today`
    in years, months or days (`5y`, `18m`, `90d`)."""
    value = text.strip().lower()
    match = _DURATION.fullmatch(value)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        if unit == "d":
            return today - dt.timedelta(days=amount)
        return _months_back(today, amount * 12 if unit == "y" else amount)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--older-than must be a period or a date, not '{text}'",
            why="the retention period is counted back from today (5y, 18m, 90d) or given as the cut-off date itself.",
            fix="for example --older-than 5y or --older-than 2020-12-31.",
        ) from None


def purge(store: Store, cutoff: dt.date, *, dry_run: bool = False) -> Purge:
    """Remove every person whose last activity is before `cutoff` from every table.

    One transaction: committed and checkpointed, or with `dry_run` rolled back after the
    rows were counted.
    """
    persons, removed = purge_inactive(store, cutoff, dry_run=dry_run)
    return Purge(cutoff, persons, removed, dry_run)
