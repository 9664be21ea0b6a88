"""Spells from a world's event log: starts joined with their ends, in day numbers.

The month loop logs starts and ends separately (an end is only known later); everything
downstream (files, benefits, ground truth) wants whole spells. `NO_DAY` (-1) marks a spell
that had not ended by the last simulated day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polku.synth import codes
from polku.synth.world import World

NO_DAY = -1


@dataclass(frozen=True)
class Registrations:
    """Registration spells, ordered by (person, start)."""

    person: np.ndarray
    start: np.ndarray
    end: np.ndarray
    reason: np.ndarray
    activity: np.ndarray
    prev36: np.ndarray
    continuing: np.ndarray
    benefit: np.ndarray
    days_used: np.ndarray
    wage_basis: np.ndarray


@dataclass(frozen=True)
class Jobs:
    """Employment spells, ordered by (person, start)."""

    person: np.ndarray
    start: np.ndarray
    end: np.ndarray
    hours: np.ndarray
    wage: np.ndarray
    sector: np.ndarray
    source: np.ndarray
    wage_missing: np.ndarray
    subsidised: np.ndarray


def _ends(count: int, ends: dict[str, np.ndarray], *names: str) -> list[np.ndarray]:
    """Per-start arrays of the end columns `names`, NO_DAY / NO_END where not ended."""
    out = []
    for name in names:
        filled = np.full(count, NO_DAY if name == "end_day" else codes.NO_END, dtype=np.int64)
        if len(ends["id"]):
            filled[ends["id"].astype(np.int64)] = ends[name]
        out.append(filled)
    return out


def _ordered(person: np.ndarray, start: np.ndarray) -> np.ndarray:
    return np.lexsort((start, person))


def registrations(world: World) -> Registrations:
    """Every registration spell the world logged, with its end day and reason."""
    starts = world.log.regs.frame()
    order = np.argsort(starts["id"], kind="stable")
    starts = {k: v[order] for k, v in starts.items()}
    end, reason = _ends(world.log.next_reg, world.log.reg_ends.frame(), "end_day", "reason")
    end, reason = end[starts["id"].astype(np.int64)], reason[starts["id"].astype(np.int64)]
    order = _ordered(starts["person"], starts["start_day"])
    return Registrations(
        person=starts["person"][order].astype(np.int64),
        start=starts["start_day"][order].astype(np.int64),
        end=end[order],
        reason=reason[order].astype(np.int8),
        activity=starts["activity"][order].astype(np.int8),
        prev36=starts["prev36"][order].astype(np.int16),
        continuing=starts["continuing"][order].astype(np.int16),
        benefit=starts["benefit"][order].astype(np.int8),
        days_used=starts["days_used"][order].astype(np.float64),
        wage_basis=starts["wage_basis"][order].astype(np.float64),
    )


def jobs(world: World) -> Jobs:
    """Every employment spell the world logged, with its last day."""
    starts = world.log.jobs.frame()
    (end,) = _ends(world.log.next_job, world.log.job_ends.frame(), "end_day")
    end = end[starts["id"].astype(np.int64)] if len(starts["id"]) else np.zeros(0, dtype=np.int64)
    order = _ordered(starts["person"], starts["start_day"])
    return Jobs(
        person=starts["person"][order].astype(np.int64),
        start=starts["start_day"][order].astype(np.int64),
        end=end[order],
        hours=starts["hours"][order].astype(np.float64),
        wage=starts["wage"][order].astype(np.float64),
        sector=starts["sector"][order].astype(np.int8),
        source=starts["source"][order].astype(np.int8),
        wage_missing=starts["wage_missing"][order].astype(bool),
        subsidised=starts["subsidised"][order].astype(bool),
    )


def exported(start: np.ndarray, extraction: int) -> np.ndarray:
    """Spells visible in the export: started on or before the extraction day."""
    return start <= extraction


def censored_end(end: np.ndarray, extraction: int) -> np.ndarray:
    """End day as the export shows it: NO_DAY when the spell was still open on extraction."""
    return np.where((end == NO_DAY) | (end > extraction), NO_DAY, end)
