"""A hand-built store whose client groups, targeting and timeliness are worked out by hand.

Five people, each registered on 2024-01-01 (the data run to 2025-12-31):
| person | born    | education       | pwa  | activity | prev36 | benefit (from)          | group at registration |
| P0     | 2000-01 | basic           | no   | work     | 0      | earnings-related (01-08) | youth (age 24)        |
| P1     | 1970-06 | tertiary        | no   | work     | 0      | earnings-related (01-10) | recent_work (53)      |
| P2     | 1965-01 | upper secondary | yes  | other    | 0      | labour market subsidy    | partial_work_ability  |
| P3     | 1980-01 | basic           | no   | other    | 30     | basic allowance          | long_term (30 of 36)  |
| P4     | 1960-03 | basic           | no   | work     | 0      | none                     | older (63)            |
P2's spell ends 2024-04-30 (work); the others stay open. Episodes: P0 TRAIN from 2024-03-01
(60 days after registration; 2024 is a leap year) completed; P1 IPS from 2024-02-01 (31 days)
interrupted; P2 IPS from 2024-01-15 (14 days) completed. Nobody has an employment spell, so
the seed model learns a rate of 0 and puts everybody in its low band.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from polku.store import Store

LINEAGE = {"_import_id": 1, "_source": "fixture.csv"}
START = date(2024, 1, 1)
AS_OF = date(2025, 12, 31)
GROUP_AT_REGISTRATION = ["youth", "recent_work", "partial_work_ability", "long_term", "older"]

MENU = """name: test_menu
version: 1
groups: seed000_default
description: a test menu
source: tests/groups/groups_helpers.py
checks:
  min_share: {value: 0.6, source: test}
  unserved_ratio: {value: 0.1, source: test}
services:
  - service: TRAIN
    groups: [youth]
    source: test
  - service: IPS
    groups: [partial_work_ability, long_term]
    source: test
"""


def insert(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows with lineage columns (and key_version for person-keyed tables)."""
    for line, row in enumerate(rows, start=2):
        full = row | LINEAGE | {"_line": line} | ({"key_version": 1} if "person_id" in row else {})
        marks = ", ".join("?" * len(full))
        store.con.execute(f"INSERT INTO {table} ({', '.join(full)}) VALUES ({marks})", list(full.values()))


def pid(i: int) -> uuid.UUID:
    return uuid.UUID(int=i + 1)


PEOPLE = [  # (born year, month, education, pwa, activity, prev36, benefit, benefit start)
    (2000, 1, "basic", False, "work", 0, "earnings_related_allowance", date(2024, 1, 8)),
    (1970, 6, "tertiary", False, "work", 0, "earnings_related_allowance", date(2024, 1, 10)),
    (1965, 1, "upper_secondary", True, "other", 0, "labour_market_subsidy", date(2024, 1, 8)),
    (1980, 1, "basic", False, "other", 30, "basic_unemployment_allowance", date(2024, 1, 8)),
    (1960, 3, "basic", False, "work", 0, None, None),
]
PAYER = {
    "earnings_related_allowance": "unemployment_fund",
    "labour_market_subsidy": "kela",
    "basic_unemployment_allowance": "kela",
}


def _person(i: int) -> dict[str, Any]:
    year, month, education, pwa = PEOPLE[i][:4]
    return {
        "person_id": pid(i),
        "birth_year": year,
        "birth_month": month,
        "sex": "female",
        "mother_tongue_group": "fi",
        "municipality_code": "698",
        "education_level": education,
        "partial_work_ability": pwa,
    }


def _spell(i: int) -> dict[str, Any]:
    ended = i == 2
    return {
        "spell_id": f"R{i}",
        "person_id": pid(i),
        "start_date": START,
        "end_date": date(2024, 4, 30) if ended else None,
        "end_reason": "open_market_job" if ended else None,
        "activity_before": PEOPLE[i][4],
        "months_unemployed_prev36": PEOPLE[i][5],
        "current_spell_months": 0,
    }


def _benefit(i: int) -> dict[str, Any]:
    kind, start = PEOPLE[i][6], PEOPLE[i][7]
    return {
        "benefit_id": f"B{i}",
        "person_id": pid(i),
        "benefit_type": kind,
        "payer": PAYER[kind],
        "amount": 40.0,
        "amount_unit": "day",
        "start_date": start,
        "end_date": None,
        "adjusted": False,
    }


def _episode(i: str, person: int, service: str, start: date, end: date, status: str) -> dict[str, Any]:
    return {
        "episode_id": i,
        "person_id": pid(person),
        "service_code": service,
        "start_date": start,
        "end_date": end,
        "completion_status": status,
    }


def fill(store: Store) -> None:
    insert(store, "person", [_person(i) for i in range(5)])
    insert(store, "registration_spell", [_spell(i) for i in range(5)])
    insert(store, "benefit_spell", [_benefit(i) for i in range(4)])
    insert(
        store,
        "service_episode",
        [
            _episode("E0", 0, "TRAIN", date(2024, 3, 1), date(2024, 5, 31), "completed"),
            _episode("E1", 1, "IPS", date(2024, 2, 1), date(2024, 3, 15), "interrupted"),
            _episode("E2", 2, "IPS", date(2024, 1, 15), date(2024, 4, 30), "completed"),
        ],
    )
