"""Helpers for the ingest tests: valid rows in the synthetic format, fixture paths, queries.

Identity codes are DVV's published test codes (individual numbers 900-999), which the
synthetic mapping accepts; none of them belongs to a real person.
"""

from __future__ import annotations

import csv
from pathlib import Path

from polku.schema.tables import TABLES
from polku.store import Store

FIXTURES = Path(__file__).parent / "fixtures"

TEST_CODES = (
    "010594Y9032",
    "020594X903P",
    "030594W903B",
    "040594V9030",
    "050594U903M",
    "010516B903X",
    "020516C903K",
    "030516D9037",
    "010501E9032",
    "020503F9037",
    "020504A902E",
)

VALID: dict[str, dict[str, str]] = {
    "person": {
        "hetu": TEST_CODES[0],
        "birth_year": "1994",
        "birth_month": "5",
        "sex": "male",
        "mother_tongue_group": "fi",
        "municipality_code": "698",
        "education_level": "basic",
        "isced_level": "2",
        "partial_work_ability": "false",
        "partial_work_ability_basis": "",
    },
    "registration_spell": {
        "spell_id": "R1",
        "hetu": TEST_CODES[0],
        "start_date": "2023-01-02",
        "end_date": "2023-06-30",
        "end_reason": "open_market_job",
        "activity_before": "work",
        "months_unemployed_prev36": "6",
        "current_spell_months": "3",
    },
    "benefit_spell": {
        "benefit_id": "B1",
        "hetu": TEST_CODES[0],
        "benefit_type": "labour_market_subsidy",
        "payer": "kela",
        "amount": "37.21",
        "amount_unit": "day",
        "start_date": "2023-01-02",
        "end_date": "",
        "adjusted": "false",
    },
    "service": {
        "service_code": "S1",
        "name_fi": "Valmennus",
        "name_sv": "Coachning",
        "name_en": "Coaching",
        "category": "coaching",
        "unit_cost": "1200.00",
        "cost_unit": "per_episode",
        "price_year": "2024",
    },
    "service_episode": {
        "episode_id": "E1",
        "hetu": TEST_CODES[0],
        "service_code": "S1",
        "provider_id": "P1",
        "referral_date": "2023-01-01",
        "start_date": "2023-01-10",
        "planned_end_date": "2023-03-10",
        "end_date": "2023-03-01",
        "completion_status": "completed",
        "cost": "1200.00",
        "case_worker_id": "CW1",
        "team_id": "T1",
    },
    "provider": {
        "provider_id": "P1",
        "name": "Valmennus Oy",
        "business_id": "1234567-1",
        "provider_type": "private",
        "municipality_code": "698",
    },
    "team": {"team_id": "T1", "area_id": "A1", "name": "Rovaniemi 1"},
    "case_worker": {"case_worker_id": "CW1", "team_id": "T1", "title": "asiakasvastaava"},
    "measurement": {
        "measurement_id": "M1",
        "hetu": TEST_CODES[0],
        "instrument": "client_change_meter",
        "item": "skills",
        "value": "3",
        "scale_min": "1",
        "scale_max": "5",
        "measured_on": "2023-02-01",
        "recorded_by": "client",
    },
    "goal": {
        "goal_id": "G1",
        "hetu": TEST_CODES[0],
        "domain": "skills",
        "baseline": "2",
        "target": "4",
        "set_on": "2023-01-15",
        "due": "2023-06-30",
        "status": "open",
    },
    "employment_spell": {
        "employment_id": "W1",
        "hetu": TEST_CODES[0],
        "start_date": "2023-04-01",
        "end_date": "",
        "weekly_hours": "37.5",
        "monthly_wage": "2800.00",
        "employer_sector": "private",
        "subsidised": "false",
        "source": "income_register",
    },
    "contact": {
        "contact_id": "C1",
        "hetu": TEST_CODES[0],
        "contact_date": "2023-01-05",
        "kind": "initial_interview",
        "channel": "in_person",
        "case_worker_id": "CW1",
    },
    "job_application": {
        "report_id": "JA1",
        "hetu": TEST_CODES[0],
        "month": "2023-02-01",
        "reported_on": "2023-03-03",
        "applications": "4",
    },
}


def header(table: str) -> list[str]:
    """The synthetic format's header: schema field names, person_id written as hetu."""
    return ["hetu" if f.kind == "identity" else f.name for f in TABLES[table].fields]


def row(table: str, key: int = 1, **changes: str) -> dict[str, str]:
    """A valid row whose key ends in `key` (and a test code picked by it), with changes."""
    values = dict(VALID[table])
    first = TABLES[table].key[0]
    if first != "person_id":
        values[first] = values[first].rstrip("0123456789") + str(key)
    if "hetu" in values:
        values["hetu"] = TEST_CODES[(key - 1) % len(TEST_CODES)]
    values.update(changes)
    return values


def write_csv(path: Path, table: str, rows: list[dict[str, str]], *, delimiter: str = ",", encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header(table), delimiter=delimiter, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def quarantine_rows(store: Store, import_id: int | None = None) -> list[dict[str, object]]:
    """Quarantine rows as dicts, ordered by line and column."""
    where = "" if import_id is None else f"WHERE import_id = {int(import_id)}"
    cursor = store.con.execute(f"SELECT * FROM quarantine {where} ORDER BY line, column_name, reason_code")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def table_checksum(store: Store, table: str) -> tuple[int, str]:
    """Row count and an order-independent hash of every value of `table`."""
    count, digest = store.con.execute(f"SELECT count(*), coalesce(bit_xor(hash(t)), 0)::VARCHAR FROM {table} t").fetchone()
    return count, digest
