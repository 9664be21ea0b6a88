"""The shipped `finnish_export` mapping reads a Finnish-style export: Latin-1, `;`, decimal
comma, d.m.yyyy dates, K/E booleans, Finnish code words, and no birth year, birth month or
sex columns (derived from the identity code)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ingest_helpers import FIXTURES, quarantine_rows

from polku.identity import PseudonymKey, pseudonym
from polku.ingest import import_file
from polku.store import Store

FINNISH = FIXTURES / "finnish"


def test_person_export_with_derived_birth_and_sex(store: Store, key: PseudonymKey) -> None:
    report = import_file(store, "person", FINNISH / "person.csv", mapping="finnish_export", key=key)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (4, 3, 1)
    rows = store.con.execute(
        "SELECT person_id, birth_year, birth_month, sex, mother_tongue_group, municipality_code, education_level, "
        "isced_level, partial_work_ability, partial_work_ability_basis, _line FROM person ORDER BY _line"
    ).fetchall()
    assert rows == [
        (pseudonym("131052-308T", key), 1952, 10, "female", "fi", "698", "upper_secondary", 3, True, "medical_statement", 2),
        (pseudonym("010199-123Y", key), 1999, 1, "male", "sv", "091", "tertiary", 6, False, None, 3),
        (pseudonym("020300A124P", key), 2000, 3, "female", "other", "148", "basic", None, False, None, 4),
    ]
    [problem] = quarantine_rows(store)
    assert (problem["line"], problem["column_name"], problem["reason_code"]) == (5, "henkilotunnus", "duplicate_key")
    assert "line 2" in problem["reason"]


def test_employment_export_with_decimal_comma_and_finnish_dates(store: Store, key: PseudonymKey) -> None:
    report = import_file(store, "employment_spell", FINNISH / "employment_spell.csv", mapping="finnish_export", key=key)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (4, 2, 2)
    rows = store.con.execute(
        "SELECT employment_id, start_date, end_date, weekly_hours, monthly_wage, employer_sector, subsidised, source "
        "FROM employment_spell ORDER BY _line"
    ).fetchall()
    assert rows == [
        ("T-1", dt.date(2024, 3, 1), dt.date(2024, 12, 31), 37.5, Decimal("2800.00"), "private", False, "income_register"),
        ("T-2", dt.date(2023, 2, 1), None, 20.0, Decimal("1850.50"), "public", True, "self_report"),
    ]
    problems = [(p["line"], p["column_name"], p["reason_code"]) for p in quarantine_rows(store)]
    assert problems == [
        (4, "henkilotunnus", "hetu_temporary"),
        (5, "kuukausipalkka", "too_many_decimals"),
        (5, "loppupvm", "not_a_date"),
    ]
    date_reason = next(p["reason"] for p in quarantine_rows(store) if p["reason_code"] == "not_a_date")
    assert "d.m.yyyy" in date_reason and "1.3.2024" in date_reason
