"""The area's organisation and catalogue: services, providers, teams and case workers.

Case workers carry about 150 clients each (seed 000): the number of case workers follows
the largest registered stock of any month up to the extraction, and clients are dealt to
case workers municipality by municipality, so teams have local client bases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from polku.schema.business_id import check_digit
from polku.synth.csvout import constant, identifiers, money
from polku.synth.params import value
from polku.synth.population import Population
from polku.synth.records import Registrations
from polku.synth.streams import rng


def business_id(body: str) -> str:
    """Finnish business ID with its check digit (`polku.schema.business_id`)."""
    digit = check_digit(body)
    if digit is None:
        raise ValueError(f"business ID body {body} has no valid check digit; choose another")
    return f"{body}-{digit}"


def service_table() -> dict[str, pa.Array]:
    rows = value("services.catalogue")
    names = list(rows)
    return {
        "service_code": pa.array(names),
        "name_fi": pa.array([rows[s]["fi"] for s in names]),
        "name_sv": pa.array([rows[s]["sv"] for s in names]),
        "name_en": pa.array([rows[s]["en"] for s in names]),
        "category": pa.array([rows[s]["category"] for s in names]),
        "unit_cost": money(np.array([rows[s]["unit_cost"] for s in names], dtype=np.float64)),
        "cost_unit": pa.array([rows[s]["cost_unit"] for s in names]),
        "price_year": pa.array([rows[s]["price_year"] for s in names], type=pa.int64()),
    }


def provider_table() -> dict[str, pa.Array]:
    rows = value("providers.list")
    names = list(rows)
    return {
        "provider_id": pa.array(names),
        "name": pa.array([rows[p]["name"] for p in names]),
        "business_id": pa.array(
            [business_id(rows[p]["business_id"]) if rows[p]["business_id"] else None for p in names], type=pa.string()
        ),
        "provider_type": pa.array([rows[p]["type"] for p in names]),
        "municipality_code": pa.array([rows[p]["municipality"] for p in names]),
    }


@dataclass(frozen=True)
class Organisation:
    """Case worker (index) of every client and the team (index) of every case worker."""

    case_worker: np.ndarray
    team_of_worker: np.ndarray

    @property
    def workers(self) -> int:
        return len(self.team_of_worker)

    @property
    def teams(self) -> int:
        return int(self.team_of_worker.max(initial=-1)) + 1


def _peak_stock(regs: Registrations, month_starts: np.ndarray, extraction: int) -> int:
    """Largest number of open registration spells on the first day of any month."""
    days = month_starts[month_starts <= extraction]
    started = np.searchsorted(np.sort(regs.start), days, side="right")
    ends = np.where(regs.end < 0, np.iinfo(np.int64).max, regs.end)
    ended = np.searchsorted(np.sort(ends), days, side="left")
    return int((started - ended).max(initial=1))


def organise(pop: Population, regs: Registrations, month_starts: np.ndarray, extraction: int, seed: int) -> Organisation:
    per_worker = value("organisation.clients_per_case_worker")
    workers = max(1, math.ceil(_peak_stock(regs, month_starts, extraction) / per_worker))
    order = np.lexsort((rng(seed, "organisation").random(pop.size), pop.municipality))
    case_worker = np.empty(pop.size, dtype=np.int64)
    case_worker[order] = np.arange(pop.size) * workers // max(pop.size, 1)
    per_team = value("organisation.case_workers_per_team")
    return Organisation(case_worker, np.arange(workers) // per_team)


def team_table(org: Organisation) -> dict[str, pa.Array]:
    numbers_ = np.arange(1, org.teams + 1)
    return {
        "team_id": identifiers("TEAM", numbers_, 2),
        "area_id": constant(value("area.area_id"), org.teams),
        "name": pa.array([f"Tiimi {k}" for k in numbers_]),
    }


def case_worker_table(org: Organisation) -> dict[str, pa.Array]:
    return {
        "case_worker_id": identifiers("CW", np.arange(1, org.workers + 1), 4),
        "team_id": identifiers("TEAM", org.team_of_worker + 1, 2),
        "title": constant("asiakasvastaava", org.workers),
    }


def worker_columns(org: Organisation, person: np.ndarray) -> dict[str, pa.Array]:
    """case_worker_id and team_id of the given clients (for service episodes)."""
    worker = org.case_worker[person]
    return {
        "case_worker_id": identifiers("CW", worker + 1, 4),
        "team_id": identifiers("TEAM", org.team_of_worker[worker] + 1, 2),
    }
