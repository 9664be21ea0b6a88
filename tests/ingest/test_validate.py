"""Every validation rule has a bad-input fixture: one file per failure mode.

Each file in `fixtures/bad/` has a valid row on line 2 and a row with exactly one mistake on
line 3 (the header is line 1). The import must accept line 2, quarantine line 3 with the
reason code, line and column stated here, and a reason containing the words a user needs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_helpers import FIXTURES, quarantine_rows, row, write_csv

from polku.identity import PseudonymKey
from polku.ingest import import_file
from polku.ingest.reasons import all_reason_codes
from polku.store import Store

BAD = FIXTURES / "bad"

# fixture (= reason code) -> table, column, stored value, words the reason must contain
CASES: dict[str, tuple[str, str | None, str | None, tuple[str, ...]]] = {
    "missing_value": ("service_episode", "start_date", None, ("start_date is empty", "fill it in")),
    "hetu_in_field": (
        "team",
        "name",
        "Tiimi <hetu>",
        ("name holds something shaped like a personal identity code", "columns are in the right order"),
    ),
    "not_an_integer": ("person", "birth_month", "5.5", ("birth_month is not a whole number", "digits only")),
    "not_a_number": ("employment_spell", "weekly_hours", "about 20", ("weekly_hours is not a number", "decimal separator '.'")),
    "not_money": ("benefit_spell", "amount", "37,21 EUR", ("amount is not an amount of euros", "without currency sign")),
    "too_many_decimals": ("service", "unit_cost", "1200.555", ("more than two decimals", "whole cents")),
    "not_a_date": ("registration_spell", "start_date", "2023-02-30", ("not a real date", "yyyy-mm-dd", "2024-03-01")),
    "implausible_date": (
        "registration_spell",
        "end_date",
        "2999-12-31",
        ("end_date is not between 1900 and 2099", "check the year"),
    ),
    "not_a_boolean": ("employment_spell", "subsidised", "yes", ("not a yes/no word", "true, false")),
    "below_minimum": ("employment_spell", "weekly_hours", "0.1", ("below the smallest allowed value 0.5",)),
    "above_maximum": ("registration_spell", "months_unemployed_prev36", "37", ("above the largest allowed value 36",)),
    "pattern_mismatch": ("provider", "business_id", "1234567", ("business_id does not have the required form",)),
    "unknown_code": ("goal", "status", "done", ("not a code of the list 'goal_status'", "achieved", "codes:")),
    "hetu_missing": ("employment_spell", "hetu", None, ("identity code is missing",)),
    "hetu_format": (
        "employment_spell",
        "hetu",
        "999999-999",
        ("not in the form DDMMYYCZZZQ", "correct the code in the source system"),
    ),
    "hetu_separator": ("employment_spell", "hetu", "999999X9999", ("century sign",)),
    "hetu_date": ("employment_spell", "hetu", "999999-9999", ("real date of birth",)),
    "hetu_individual_number": ("employment_spell", "hetu", "999999-9999", ("000 or 001",)),
    "hetu_temporary": ("employment_spell", "hetu", "999999X999X", ("900-999", "temporary")),
    "hetu_check_character": ("employment_spell", "hetu", "999999X999X", ("check character does not match",)),
    "duplicate_key": ("team", "team_id", "T1", ("repeats the row on line 2", "keep one row per key")),
    "unbalanced_quote": ("team", None, None, ("neither opens nor closes", "read on its own")),
    "nul_byte": ("team", None, None, ("NUL byte",)),
    "stray_carriage_return": ("team", None, None, ("carriage return (CR)",)),
    "field_too_long": ("team", "name", None, ("name is longer than 1000 characters",)),
    "line_break_in_key": ("team", "team_id", None, ("team_id holds a line break",)),
    "check_business_id_check_digit": ("provider", "business_id", "1234567-2", ("wrong check digit", "mod-11")),
    "check_isced_matches_education_level": ("person", "isced_level", "3", ("isced_level does not belong to education_level",)),
    "check_basis_only_with_partial_work_ability": (
        "person",
        "partial_work_ability_basis",
        "medical_statement",
        ("partial_work_ability is false",),
    ),
    "check_end_date_not_before_start_date": ("benefit_spell", "end_date", "2023-04-30", ("end_date is before start_date",)),
    "check_end_reason_needs_end_date": ("registration_spell", "end_reason", "pension", ("end_date is empty",)),
    "check_planned_end_date_not_before_start_date": (
        "service_episode",
        "planned_end_date",
        "2023-01-09",
        ("planned_end_date is before start_date",),
    ),
    "check_start_date_not_before_referral_date": (
        "service_episode",
        "start_date",
        "2023-01-10",
        ("start_date is before referral_date",),
    ),
    "check_ongoing_has_no_end": ("service_episode", "end_date", "2023-03-01", ("'ongoing' but has an end_date",)),
    "check_value_within_scale": ("measurement", "value", "6", ("outside the scale",)),
    "check_scale_ordered": ("measurement", "scale_max", "1", ("scale_max is not above scale_min",)),
    "check_due_not_before_set_on": ("goal", "due", "2023-01-14", ("due is before set_on",)),
    "check_gas_weight_positive": ("goal", "gas_weight", "0", ("gas_weight is 0", "must be above 0")),
    "check_month_is_first_day": ("job_application", "month", "2023-02-15", ("month is not the first day of a month",)),
    "check_reported_on_not_before_month": ("job_application", "reported_on", "2023-01-20", ("reported_on is before month",)),
}
MAPPINGS = {"hetu_temporary": FIXTURES / "mappings" / "strict_identity.yaml"}


def test_every_row_level_reason_has_a_fixture() -> None:
    fixtures = {p.stem for p in BAD.glob("*.csv")}
    produced_per_file = set(all_reason_codes()) - {
        "key_in_other_source",
        "erased",
    }  # two sources: test_load; an erase: tests/privacy
    assert produced_per_file <= fixtures | {"wrong_field_count"}
    assert set(CASES) | {"wrong_field_count"} == fixtures


@pytest.mark.parametrize("reason", sorted(CASES))
def test_bad_fixture_is_quarantined_with_reason_line_and_column(store: Store, key: PseudonymKey, reason: str) -> None:
    table, column, value, words = CASES[reason]
    report = import_file(store, table, BAD / f"{reason}.csv", key=key, mapping=MAPPINGS.get(reason))
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (2, 1, 1)
    assert report.quarantined_by_reason == {reason: 1}
    [problem] = quarantine_rows(store, report.import_id)
    assert (problem["line"], problem["column_name"], problem["value"], problem["reason_code"]) == (3, column, value, reason)
    assert problem["file_path"] == str(BAD / f"{reason}.csv")
    for word in words:
        assert word in problem["reason"], (word, problem["reason"])
    assert store.con.execute(f"SELECT _line FROM {table}").fetchall() == [(2,)]


def test_wrong_field_count_is_quarantined_and_the_other_rows_imported(store: Store, key: PseudonymKey) -> None:
    report = import_file(store, "team", BAD / "wrong_field_count.csv", key=key)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (3, 2, 1)
    [problem] = quarantine_rows(store, report.import_id)
    assert (problem["line"], problem["reason_code"], problem["value"], problem["record"]) == (3, "wrong_field_count", None, None)
    assert "the line has 4 fields but the header has 3" in problem["reason"]
    assert store.con.execute("SELECT team_id, _line FROM team ORDER BY _line").fetchall() == [("T1", 2), ("T3", 4)]


def test_a_row_with_several_problems_records_each_but_counts_once(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    bad = row("employment_spell", 2, hetu="x", weekly_hours="lots", subsidised="maybe")
    path = write_csv(tmp_path / "several.csv", "employment_spell", [row("employment_spell", 1), bad])
    report = import_file(store, "employment_spell", path, key=key)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (2, 1, 1)
    assert report.quarantined_by_reason == {"hetu_format": 1, "not_a_number": 1, "not_a_boolean": 1}
    problems = quarantine_rows(store, report.import_id)
    assert [(p["line"], p["column_name"]) for p in problems] == [(3, "hetu"), (3, "subsidised"), (3, "weekly_hours")]
    assert problems[0]["record"] == problems[1]["record"]
    assert '"hetu":"x"' in problems[0]["record"] and '"weekly_hours":"lots"' in problems[0]["record"]


def test_a_bad_iso_date_names_one_form_and_a_finnish_date_both() -> None:
    """Regression: the message said 'in the form yyyy-mm-dd (or yyyy-mm-dd)'."""
    from polku.ingest.mapping import FileOptions
    from polku.ingest.reasons import field_reason
    from polku.schema.tables import table

    start = table("employment_spell").field("start_date")
    iso = field_reason("not_a_date", start, "start_date", FileOptions())
    assert "in the form yyyy-mm-dd;" in iso and "(or" not in iso
    finnish = field_reason("not_a_date", start, "alkupvm", FileOptions(date_format="d.m.yyyy"))
    assert "in the form d.m.yyyy (or yyyy-mm-dd)" in finnish
