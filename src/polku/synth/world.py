"""The state of one simulated world, person by person, and its event log.

Two worlds run side by side: the observed one (services happen) and, for participants only,
the one without the service. They share every random number; the second is a copy of the
first taken at the moment a service starts, so both histories are identical until then.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from polku.synth import codes
from polku.synth.hazards import SpellState
from polku.synth.jobs import Jobs


class Chunks:
    """Column arrays appended month by month, concatenated once at the end."""

    def __init__(self, *names: str) -> None:
        self._parts: dict[str, list[np.ndarray]] = {name: [] for name in names}

    def add(self, **columns: np.ndarray) -> None:
        for name, values in columns.items():
            self._parts[name].append(np.asarray(values))

    def frame(self) -> dict[str, np.ndarray]:
        return {name: (np.concatenate(parts) if parts else np.zeros(0)) for name, parts in self._parts.items()}


@dataclass
class Log:
    """Every spell start and end of one world."""

    regs: Chunks = field(
        default_factory=lambda: Chunks(
            "id",
            "person",
            "start_day",
            "activity",
            "prev36",
            "continuing",
            "benefit",
            "days_used",
            "wage_basis",
        )
    )
    reg_ends: Chunks = field(default_factory=lambda: Chunks("id", "end_day", "reason"))
    jobs: Chunks = field(
        default_factory=lambda: Chunks(
            "id",
            "person",
            "start_day",
            "hours",
            "wage",
            "sector",
            "source",
            "wage_missing",
            "subsidised",
        )
    )
    job_ends: Chunks = field(default_factory=lambda: Chunks("id", "end_day"))
    next_reg: int = 0
    next_job: int = 0


_FIELDS: dict[str, type] = {
    "state": np.int8,
    "since": np.int64,
    "reg_id": np.int64,
    "reg_start_month": np.int16,
    "activity": np.int8,
    "prev36": np.int16,
    "continuing": np.int16,
    "benefit": np.int8,
    "entitlement": np.int8,
    "days_used": np.float32,
    "work_months": np.int16,
    "wage_basis": np.float32,
    "last_wage": np.float32,
    "job_id": np.int64,
    "job_end_day": np.int64,
    "job_subsidised": np.bool_,
    "job_wage": np.float32,
    "inactive_kind": np.int8,
}


class World:
    """Per-person state arrays (see _FIELDS) plus the unemployment history and the log."""

    # One array per name in _FIELDS, declared so that type checkers know them (set in __init__).
    state: np.ndarray
    since: np.ndarray
    reg_id: np.ndarray
    reg_start_month: np.ndarray
    activity: np.ndarray
    prev36: np.ndarray
    continuing: np.ndarray
    benefit: np.ndarray
    entitlement: np.ndarray
    days_used: np.ndarray
    work_months: np.ndarray
    wage_basis: np.ndarray
    last_wage: np.ndarray
    job_id: np.ndarray
    job_end_day: np.ndarray
    job_subsidised: np.ndarray
    job_wage: np.ndarray
    inactive_kind: np.ndarray

    def __init__(self, n: int, months: int) -> None:
        for name, dtype in _FIELDS.items():
            setattr(self, name, np.zeros(n, dtype=dtype))
        self.reg_id[:] = -1
        self.job_id[:] = -1
        self.job_end_day[:] = -1
        self.state[:] = codes.NOT_YET
        self.history = np.zeros((n, months), dtype=np.uint8)
        self.log = Log()

    def copy_from(self, other: World, idx: np.ndarray) -> None:
        """Take over the state of persons `idx` from `other` (the moment two worlds split)."""
        for name in _FIELDS:
            getattr(self, name)[idx] = getattr(other, name)[idx]
        self.history[idx] = other.history[idx]

    def spell_state(self, idx: np.ndarray, m: int) -> SpellState:
        """Covariates of the current registration spell in month m (duration in months)."""
        duration = self.continuing[idx] + (m - self.reg_start_month[idx])
        earnings = self.benefit[idx] == codes.BENEFIT_EARNINGS
        return SpellState(self.activity[idx], self.prev36[idx], duration, earnings)

    def start_registration(self, idx: np.ndarray, day: np.ndarray, month: np.ndarray | int) -> None:
        """Open a registration spell (its covariates must already be set) and log it."""
        ids = self.log.next_reg + np.arange(len(idx), dtype=np.int64)
        self.log.next_reg += len(idx)
        self.reg_id[idx] = ids
        self.state[idx] = codes.UNEMPLOYED
        self.since[idx] = day
        self.reg_start_month[idx] = month
        self.log.regs.add(
            id=ids,
            person=idx,
            start_day=day,
            activity=self.activity[idx],
            prev36=self.prev36[idx],
            continuing=self.continuing[idx],
            benefit=self.benefit[idx],
            days_used=self.days_used[idx],
            wage_basis=self.wage_basis[idx],
        )

    def end_registration(self, idx: np.ndarray, last_day: np.ndarray, reason: np.ndarray | int) -> None:
        self.log.reg_ends.add(id=self.reg_id[idx], end_day=last_day, reason=np.broadcast_to(reason, len(idx)))
        self.reg_id[idx] = -1

    def start_job(self, idx: np.ndarray, day: np.ndarray, jobs: Jobs, subsidised: bool) -> None:
        ids = self.log.next_job + np.arange(len(idx), dtype=np.int64)
        self.log.next_job += len(idx)
        self.job_id[idx] = ids
        self.state[idx] = codes.EMPLOYED
        self.since[idx] = day
        self.job_end_day[idx] = jobs.end_day
        self.job_subsidised[idx] = subsidised
        self.job_wage[idx] = jobs.wage
        self.log.jobs.add(
            id=ids,
            person=idx,
            start_day=day,
            hours=jobs.hours,
            wage=jobs.wage,
            sector=jobs.sector,
            source=jobs.source,
            wage_missing=jobs.wage_missing,
            subsidised=np.full(len(idx), subsidised),
        )

    def end_job(self, idx: np.ndarray, last_day: np.ndarray) -> None:
        """Close the job; its wage becomes the basis of a later earnings-related allowance."""
        self.log.job_ends.add(id=self.job_id[idx], end_day=last_day)
        self.last_wage[idx] = self.job_wage[idx]
        self.job_id[idx] = -1
