"""The shipped `finnish_export` mapping reads a Finnish-style export: Latin-1, `;`, decimal
comma, d.m.yyyy dates, K/E booleans, Finnish code words, and no birth year, birth month or
sex columns (derived from the identity code).

The fixtures carry DVV's published test codes (individual numbers 9xx), never codes that
could belong to a real person, so the tests read them with the shipped mapping with only
`allow_temporary` switched on.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
import yaml
from ingest_helpers import FIXTURES, quarantine_rows

from polku.identity import PseudonymKey, pseudonym
from polku.ingest import import_file
from polku.store import Store

FINNISH = FIXTURES / "finnish"


@pytest.fixture()
def finnish_export(tmp_path: Path) -> Path:
    """The shipped mapping, accepting the 9xx test-range codes of the fixtures."""
    shipped = resources.files("polku.ingest") / "mappings" / "finnish_export.yaml"
    mapping = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    assert mapping["identity"]["allow_temporary"] is False  # the shipped default stays strict
    mapping["identity"]["allow_temporary"] = True
    path = tmp_path / "finnish_export_test_codes.yaml"
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return path


def test_person_export_with_derived_birth_and_sex(store: Store, key: PseudonymKey, finnish_export: Path) -> None:
    report = import_file(store, "person", FINNISH / "person.csv", mapping=finnish_export, key=key)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (4, 3, 1)
    rows = store.con.execute(
        "SELECT person_id, birth_year, birth_month, sex, mother_tongue_group, municipality_code, education_level, "
        "isced_level, partial_work_ability, partial_work_ability_basis, _line FROM person ORDER BY _line"
    ).fetchall()
    assert rows == [
        (pseudonym("131052-308T", key), 1952, 10, "female", "fi", "698", "upper_secondary", 3, True, "medical_statement", 2),
        (pseudonym("010594Y9032", key), 1994, 5, "male", "sv", "091", "tertiary", 6, False, None, 3),
        (pseudonym("020503F9037", key), 2003, 5, "male", "other", "148", "basic", None, False, None, 4),
    ]
    [problem] = quarantine_rows(store)
    assert (problem["line"], problem["column_name"], problem["reason_code"]) == (5, "henkilotunnus", "duplicate_key")
    assert "line 2" in problem["reason"]


def test_employment_export_with_decimal_comma_and_finnish_dates(store: Store, key: PseudonymKey, finnish_export: Path) -> None:
    report = import_file(store, "employment_spell", FINNISH / "employment_spell.csv", mapping=finnish_export, key=key)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (4, 3, 1)
    rows = store.con.execute(
        "SELECT employment_id, start_date, end_date, weekly_hours, monthly_wage, employer_sector, subsidised, source "
        "FROM employment_spell ORDER BY _line"
    ).fetchall()
    assert rows == [
        ("T-1", dt.date(2024, 3, 1), dt.date(2024, 12, 31), 37.5, Decimal("2800.00"), "private", False, "income_register"),
        ("T-2", dt.date(2023, 2, 1), None, 20.0, Decimal("1850.50"), "public", True, "self_report"),
        ("T-3", dt.date(2024, 6, 15), None, 30.0, Decimal("2100.00"), "third_sector", False, "income_register"),
    ]
    problems = [(p["line"], p["column_name"], p["reason_code"]) for p in quarantine_rows(store)]
    assert problems == [
        (5, "kuukausipalkka", "too_many_decimals"),
        (5, "loppupvm", "not_a_date"),
    ]
    date_reason = next(p["reason"] for p in quarantine_rows(store) if p["reason_code"] == "not_a_date")
    assert "d.m.yyyy" in date_reason and "1.3.2024" in date_reason


def test_the_shipped_mapping_refuses_temporary_and_test_codes(store: Store, key: PseudonymKey) -> None:
    """Real exports carry permanent codes; a 9xx code there is a recording problem."""
    report = import_file(store, "person", FINNISH / "person.csv", mapping="finnish_export", key=key)
    assert (report.rows_read, report.rows_accepted) == (4, 1)
    problems = [(p["line"], p["reason_code"]) for p in quarantine_rows(store)]
    assert problems == [(3, "hetu_temporary"), (4, "hetu_temporary"), (5, "duplicate_key")]
