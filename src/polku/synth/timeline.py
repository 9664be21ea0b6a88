"""The simulated time axis: months since the start, and days as integer day numbers.

The simulation moves in calendar months (month 0 = January 2021); events fall on a day
inside their month. Days are integers counted from 1970-01-01 (numpy's datetime64[D]
epoch) so that vectorised date arithmetic is plain integer arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from polku.synth.params import value


def day_number(iso: str) -> int:
    """Day number of an ISO date string."""
    return int(np.datetime64(iso, "D").astype(np.int64))


def to_dates(days: np.ndarray) -> np.ndarray:
    """datetime64[D] view of day numbers; negative sentinel (-1) becomes NaT."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]")
    out[days < 0] = np.datetime64("NaT")
    return out


@dataclass(frozen=True)
class Timeline:
    """Months of the simulation: entries, service starts, the extraction, the outcome horizon."""

    start: int
    extraction: int
    months: int
    entry_months: int

    @classmethod
    def from_assumptions(cls) -> Timeline:
        start_iso = value("period.start_date")
        first_year, last_year = value("period.entry_years")
        start = np.datetime64(start_iso, "M")
        extraction = day_number(value("period.extraction_date"))
        extraction_month = int((np.datetime64(extraction, "D").astype("datetime64[M]") - start).astype(int))
        months = extraction_month + 1 + int(value("period.outcome_months_after_extraction"))
        entry_months = (last_year - first_year + 1) * 12
        return cls(day_number(start_iso), extraction, months, entry_months)

    @cached_property
    def month_starts(self) -> np.ndarray:
        """First day of each month 0..months (one extra: the end of the horizon)."""
        first = np.datetime64(to_dates(np.array([self.start]))[0], "M")
        return (first + np.arange(self.months + 1)).astype("datetime64[D]").astype(np.int64)

    @property
    def extraction_month(self) -> int:
        return int(np.searchsorted(self.month_starts, self.extraction, side="right") - 1)

    @property
    def horizon_end(self) -> int:
        """Last simulated day."""
        return int(self.month_starts[-1] - 1)

    def days_in(self, month: int) -> int:
        return int(self.month_starts[month + 1] - self.month_starts[month])

    def day_in(self, month: int, u: np.ndarray, after: np.ndarray | None = None) -> np.ndarray:
        """A day of `month` from uniforms `u`; strictly after `after` (day numbers) when given."""
        first = self.month_starts[month]
        span = self.days_in(month)
        if after is None:
            return first + np.minimum((u * span).astype(np.int64), span - 1)
        low = np.maximum(first, after + 1)
        room = np.maximum(first + span - low, 1)
        return np.minimum(low + (u * room).astype(np.int64), first + span - 1)

    def year(self, month: int) -> int:
        return int(to_dates(np.array([self.month_starts[month]]))[0].astype("datetime64[Y]").astype(int) + 1970)

    def calendar_month(self, month: int) -> int:
        """1-12."""
        return int(to_dates(np.array([self.month_starts[month]]))[0].astype("datetime64[M]").astype(int) % 12 + 1)

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """Simulation month of day numbers."""
        return np.searchsorted(self.month_starts, days, side="right") - 1
