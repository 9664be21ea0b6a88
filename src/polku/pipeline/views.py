"""The shapes of a service's estimates and what is shown beside them, as an analysis run
stores them and every view reads them back.

Why a module of their own: `polku.pipeline.by_service` and `polku.pipeline.store_views`
fit (they load the estimators, scikit-learn and the cohort), but the report and the web
only read stored runs; they import these types from here, which loads no estimator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from polku.cohort.measures import window_days
from polku.impact.results import CENSORED, WORK, Curve, EffectEstimate, Refutation

MONTHS = (3, 6, 12, 24)
"""Months at which curves are read (the cohort's windows)."""


@dataclass(frozen=True)
class ServiceEstimate:
    """One row of the effects table."""

    level: str  # service | service_group | service_provider
    service_code: str
    client_group: str | None
    provider_id: str | None
    outcome: str
    result: EffectEstimate

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "service_code": self.service_code,
            "client_group": self.client_group,
            "provider_id": self.provider_id,
            "outcome": self.outcome,
        } | self.result.to_dict()


@dataclass(frozen=True)
class Checks:
    """A service's refutation checks."""

    negative_control: Refutation
    placebo: Refutation
    e_value: dict[str, float]


@dataclass(frozen=True)
class GroupCurves:
    """One group's curves and the unweighted rows behind them (for disclosure control)."""

    label: str
    incidence: Curve
    still_without: Curve | None  # Kaplan-Meier, when asked for
    duration: np.ndarray = field(repr=False)
    event: np.ndarray = field(repr=False)
    effective_n: float  # Kish's effective size of the (weighted) rows

    @property
    def n(self) -> int:
        return len(self.duration)

    def at_risk(self, day: float) -> int:
        """Rows still without an event and followed on `day`."""
        return int((self.duration >= day).sum())

    def events_by(self, day: float) -> int:
        """Rows whose first work came on or before `day` (unweighted)."""
        return int(((self.event == WORK) & (self.duration <= day)).sum())

    def censored_before(self, day: float) -> int:
        return int(((self.event == CENSORED) & (self.duration < day)).sum())

    def read(self, day: float) -> tuple[float, float, float]:
        """The share in work by `day` with its 95 % band (Aalen-Johansen)."""
        return (
            self.incidence.at(day),
            _read(self.incidence.low, self.incidence, day),
            _read(self.incidence.high, self.incidence, day),
        )

    def summary(self, months: tuple[int, ...] = MONTHS) -> dict[str, Any]:
        """JSON-ready values at `months` (NaN, e.g. a band where nobody is at risk, as None)."""
        days = {m: month_day(m) for m in months}
        return {
            "n": self.n,
            "effective_n": self.effective_n,
            "cumulative_incidence": {str(m): _finite(self.incidence.at(d)) for m, d in days.items()},
            "ci_low": {str(m): _finite(_read(self.incidence.low, self.incidence, d)) for m, d in days.items()},
            "ci_high": {str(m): _finite(_read(self.incidence.high, self.incidence, d)) for m, d in days.items()},
            "employed_ignoring_competing_exits": None
            if self.still_without is None
            else {str(m): _finite(1.0 - self.still_without.at(d)) for m, d in days.items()},
            "at_risk": {str(m): self.at_risk(d) for m, d in days.items()},
            "events": {str(m): self.events_by(d) for m, d in days.items()},
            "censored_before": {str(m): self.censored_before(d) for m, d in days.items()},
        }


def month_day(months: int) -> int:
    """The last day of a window of `months` (days 0 .. window - 1), so that the share in
    work by then matches the window outcome `employed_{months}m`."""
    return window_days(months) - 1


def _finite(value: float) -> float | None:
    return value if np.isfinite(value) else None


def _read(values: np.ndarray, curve: Curve, day: float) -> float:
    index = int(np.searchsorted(curve.days, day, side="right")) - 1
    return float(values[max(index, 0)])


@dataclass(frozen=True)
class SurvivalView:
    """Time to open-market work for a service's participants and its weighted comparison group."""

    service_code: str
    as_of: dt.date
    participants: GroupCurves
    comparison: GroupCurves
    n_trimmed: int
    horizon_days: int
    client_group: str | None = None  # None: all the service's rows

    def to_dict(self, months: tuple[int, ...] = MONTHS) -> dict[str, Any]:
        part, comp = self.participants.summary(months), self.comparison.summary(months)
        difference = {
            m: None
            if part["cumulative_incidence"][m] is None or comp["cumulative_incidence"][m] is None
            else part["cumulative_incidence"][m] - comp["cumulative_incidence"][m]
            for m in part["cumulative_incidence"]
        }
        return {
            "service_code": self.service_code,
            "client_group": self.client_group,
            "as_of": self.as_of.isoformat(),
            "months": list(months),
            "day_of_month": {str(m): month_day(m) for m in months},
            "horizon_days": self.horizon_days,
            "n_trimmed": self.n_trimmed,
            "participants": part,
            "comparison": comp,
            "difference": difference,
        }


@dataclass(frozen=True)
class ExpectedRow:
    """Observed and expected employment of one client group's participants (None: all).

    `observed` is always filled (disclosure control needs it); `expected` and the interval
    are None when the group has too few participants for an estimate (`note` says so)."""

    client_group: str | None
    n: int
    observed: float | None = None
    expected: float | None = None
    ci_low: float | None = None  # interval of O - E (this cohort's additional employments)
    ci_high: float | None = None
    note: str = ""

    @property
    def suppressed(self) -> bool:
        return self.expected is None

    @property
    def additional(self) -> float | None:
        return None if self.expected is None or self.observed is None else self.observed - self.expected

    @property
    def ratio(self) -> float | None:
        return None if not self.expected or self.observed is None else self.observed / self.expected


@dataclass(frozen=True)
class ServiceView:
    """A service's estimates over the store with what the report shows beside them."""

    service_code: str
    rows: list[ServiceEstimate]
    frame: pd.DataFrame = field(repr=False)
    checks: Checks | None = None
    survival: SurvivalView | None = None
    expected: list[ExpectedRow] = field(default_factory=list)
    group_survival: list[SurvivalView] = field(default_factory=list)

    @property
    def overall(self) -> ServiceEstimate:
        return self.rows[0]
