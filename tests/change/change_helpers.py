"""Rows of a hand-built store whose change figures are worked out by hand in the tests.

Clients (pseudonyms pid(0)..pid(4)), item `skills` of the client change meter (1-5):
- A (0): 2 on 2024-01-01, 3 on 2024-03-01, 4 on 2024-06-01           -> +2
- B (1): 3 on 2024-01-01, 3 on 2024-06-01                             ->  0
- C (2): 4 on 2024-01-01, 2 on 2024-06-01                             -> -2
- D (3): 3 on 2024-01-01 only                                         -> not counted
- E (4): 1 and 5 both on 2024-01-01                                   -> not counted (one day)
and the work-ability score (0-10): A 5.0 -> 7.5, B 6.0 -> 7.0 (same days).
Episodes: A in COACH 2024-01-10..2024-05-20, B in TRAIN 2024-01-01..2024-02-01.
Goals with GAS: A levels 1, 0, -1 with weights 1, 2, 3; B level 0 without a weight; C a
goal without a level.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from polku.store import Store

LINEAGE = {"_import_id": 1, "_source": "fixture.csv"}
METER = "client_change_meter"
WAS = "work_ability_self_assessment"


def insert(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    """Rows with lineage columns (and key_version for person-keyed tables)."""
    for line, row in enumerate(rows, start=2):
        full = row | LINEAGE | {"_line": line} | ({"key_version": 1} if "person_id" in row else {})
        marks = ", ".join("?" * len(full))
        store.con.execute(f"INSERT INTO {table} ({', '.join(full)}) VALUES ({marks})", list(full.values()))


def pid(i: int) -> uuid.UUID:
    return uuid.UUID(int=i + 1)


def measurement(n: int, person: int, instrument: str, item: str, value: float, day: date) -> dict[str, Any]:
    low, high = (0.0, 10.0) if instrument == WAS else (1.0, 5.0)
    return {
        "measurement_id": f"M{n:03d}",
        "person_id": pid(person),
        "instrument": instrument,
        "item": item,
        "value": value,
        "scale_min": low,
        "scale_max": high,
        "measured_on": day,
        "recorded_by": "client",
    }


JAN, MAR, JUN = date(2024, 1, 1), date(2024, 3, 1), date(2024, 6, 1)
SKILLS = [(0, 2, JAN), (0, 3, MAR), (0, 4, JUN), (1, 3, JAN), (1, 3, JUN), (2, 4, JAN), (2, 2, JUN), (3, 3, JAN), (4, 1, JAN)]
SKILLS += [(4, 5, JAN)]
SCORES = [(0, 5.0, JAN), (0, 7.5, JUN), (1, 6.0, JAN), (1, 7.0, JUN)]


def episode(i: str, person: int, service: str, start: date, end: date) -> dict[str, Any]:
    return {
        "episode_id": i,
        "person_id": pid(person),
        "service_code": service,
        "start_date": start,
        "end_date": end,
        "completion_status": "completed",
    }


def goal(i: int, person: int, level: int | None, weight: float | None) -> dict[str, Any]:
    return {
        "goal_id": f"G{i}",
        "person_id": pid(person),
        "domain": "skills",
        "set_on": JAN,
        "status": "open" if level is None else "achieved",
        "gas_level": level,
        "gas_weight": weight,
    }


def fill(store: Store) -> None:
    rows = [measurement(n, p, METER, "skills", v, d) for n, (p, v, d) in enumerate(SKILLS)]
    rows += [measurement(100 + n, p, WAS, "work_ability_score", v, d) for n, (p, v, d) in enumerate(SCORES)]
    insert(store, "measurement", rows)
    insert(
        store,
        "service_episode",
        [
            episode("E1", 0, "COACH", date(2024, 1, 10), date(2024, 5, 20)),
            episode("E2", 1, "TRAIN", JAN, date(2024, 2, 1)),
        ],
    )
    insert(
        store, "goal", [goal(1, 0, 1, 1.0), goal(2, 0, 0, 2.0), goal(3, 0, -1, 3.0), goal(4, 1, 0, None), goal(5, 2, None, 2.0)]
    )
