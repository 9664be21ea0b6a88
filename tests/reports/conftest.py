"""A small store with known contents for report tests, written straight into the schema.

40 clients: 27 Finnish-, 10 other- and 3 Swedish-speaking (the deliberately small group).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from polku.store import Store, open_store

LINEAGE = {"_import_id": 1, "_source": "fixture.csv"}


def insert(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows with lineage columns (and key_version for person-keyed tables)."""
    for line, row in enumerate(rows, start=2):
        full = row | LINEAGE | {"_line": line} | ({"key_version": 1} if "person_id" in row else {})
        columns = ", ".join(full)
        store.con.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(full))})", list(full.values()))


def pid(i: int) -> uuid.UUID:
    """Person i's pseudonym: any 128-bit value is one (the store keeps UUIDs)."""
    return uuid.UUID(int=i + 1)


def _tongue(i: int) -> str:
    return "sv" if i < 3 else "other" if i < 13 else "fi"


def persons(n: int = 40) -> list[dict[str, Any]]:
    return [
        {
            "person_id": pid(i),
            "birth_year": 1970 + i % 30,
            "birth_month": 1 + i % 12,
            "sex": "female" if i % 2 else "male",
            "mother_tongue_group": _tongue(i),
            "municipality_code": "698",
            "education_level": "upper_secondary",
            "partial_work_ability": i % 4 == 0,
        }
        for i in range(n)
    ]


def fill(store: Store) -> None:
    """Persons, one registration spell each, services, providers, employment, goals."""
    insert(store, "team", [{"team_id": "t1", "area_id": "Lapin työllisyysalue", "name": "Tiimi 1"}])
    insert(store, "provider", [{"provider_id": "pr1", "name": "Valmennus Oy", "provider_type": "private"}])
    insert(
        store,
        "service",
        [
            {
                "service_code": "S1",
                "name_fi": "Työvalmennus",
                "name_sv": "Jobbcoachning",
                "name_en": "Job coaching",
                "category": "coaching",
                "unit_cost": 1000,
                "cost_unit": "per_episode",
                "price_year": 2024,
            }
        ],
    )
    insert(store, "person", persons())
    insert(
        store,
        "registration_spell",
        [
            {
                "spell_id": f"r{i}",
                "person_id": pid(i),
                "start_date": date(2023 + i % 2, 3, 1),
                "end_date": None if i % 2 else date(2024, 9, 30),
                "end_reason": None if i % 2 else "open_market_job",
                "activity_before": "work",
                "months_unemployed_prev36": 6,
                "current_spell_months": 14 if i < 20 else 2,
            }
            for i in range(40)
        ],
    )
    insert(
        store,
        "service_episode",
        [
            {
                "episode_id": f"e{i}",
                "person_id": pid(i),
                "service_code": "S1",
                "provider_id": "pr1",
                "start_date": date(2024, 1, 10),
                "end_date": date(2024, 4, 10),
                "completion_status": "completed",
                "cost": 1000,
                "case_worker_id": None,
                "team_id": "t1",
            }
            for i in range(30)
        ],
    )
    insert(
        store,
        "employment_spell",
        [
            {
                "employment_id": f"w{i}",
                "person_id": pid(i),
                "start_date": date(2024, 10, 1),
                "end_date": None,
                "weekly_hours": 20 if i < 10 else 37.5,
                "monthly_wage": 2500,
                "employer_sector": "private",
                "subsidised": False,
                "source": "income_register",
            }
            for i in range(20)
        ],
    )
    insert(
        store,
        "goal",
        [
            {
                "goal_id": f"g{i}",
                "person_id": pid(i),
                "domain": "job_search",
                "set_on": date(2024, 1, 10),
                "status": "achieved" if i < 12 else "open",
            }
            for i in range(25)
        ],
    )


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(tmp_path_factory.mktemp("report") / "polku.duckdb")
    fill(store)
    yield store
    store.close()


@pytest.fixture()
def empty_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "empty.duckdb")
    yield store
    store.close()
