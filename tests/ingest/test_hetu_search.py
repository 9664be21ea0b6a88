"""The search for identity codes in ordinary columns (`hetu_in_field`) skips only what cannot hold one.

Two shortcuts keep the search off most values (issue 14, point 8): a column whose longest
value, known from the reader's Arrow offsets, is shorter than a code (11 characters) is not
searched at all, and in a field whose converted values cannot hold a code (dates, numbers,
closed code lists, booleans) only the texts that did not convert are searched. Neither may
let a code through: the tests below import codes in long columns and compare every rule
with and without the shortcuts.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_helpers import TEST_CODES, quarantine_rows, row, write_csv

from polku.identity import PseudonymKey
from polku.ingest import import_file, rules
from polku.ingest.mapping import load_mapping
from polku.ingest.read import InMemory, read_source
from polku.ingest.rules import converts_without_codes, problem_sql, text_col, value_sql
from polku.ingest.validate import plan_columns, staged_sql
from polku.store import Store

SPELLS = load_mapping(None).for_table("employment_spell")
COLUMNS = tuple(row("employment_spell"))


def test_the_reader_knows_each_columns_longest_value_in_bytes(store: Store, tmp_path: Path) -> None:
    rows = [row("employment_spell", 1), row("employment_spell", 2, employer_sector="Jyväskylä", end_date="2024-01-31")]
    path = write_csv(tmp_path / "spells.csv", "employment_spell", rows)
    with InMemory(store.con) as memory:
        (raw,) = read_source(store.con, path, SPELLS.file, memory).parts()
    assert raw.longest is not None
    assert raw.longest["hetu"] == 11 and raw.longest["start_date"] == 10 and raw.longest["end_date"] == 10
    assert raw.longest["employer_sector"] == len("Jyväskylä".encode()) == 11
    assert raw.longest["source"] == len("income_register")


def _staged(longest: dict[str, int] | None) -> str:
    plan = plan_columns(COLUMNS, SPELLS, file="f.csv", mapping_path="m", trim=False, longest=longest)
    return staged_sql(SPELLS, plan, "raw", other_sources=False)


def test_a_column_of_short_values_is_not_searched() -> None:
    lengths = dict.fromkeys(COLUMNS, 10) | {"hetu": 11, "source": 15}
    short = plan_columns(COLUMNS, SPELLS, file="f.csv", mapping_path="m", longest=lengths).short
    assert short == {"employment_id", "start_date", "end_date", "weekly_hours", "monthly_wage", "employer_sector", "subsidised"}
    sql = _staged(lengths)
    assert 'regexp_matches("_t_start_date"' not in sql and 'regexp_matches("_t_employment_id"' not in sql
    assert 'WHEN "source" IS NULL AND (strlen("_t_source") >= 11 AND regexp_matches("_t_source"' in sql
    longer = _staged(lengths | {"start_date": 11})
    assert 'WHEN "start_date" IS NULL AND (strlen("_t_start_date") >= 11 AND regexp_matches("_t_start_date"' in longer
    unknown = _staged(None)  # XLSX and Parquet: lengths not known, every column searched
    assert all(f'regexp_matches("_t_{c}"' in unknown for c in ("employment_id", "start_date", "source"))


def test_a_code_in_a_long_column_is_still_found(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    rows = [
        row("employment_spell", 1),
        row("employment_spell", 2, start_date=TEST_CODES[3]),  # a date column of 11 characters: the code itself
        row("employment_spell", 3, employer_sector=f"public {TEST_CODES[4]}"),  # a code list, a code inside a word
        row("employment_spell", 4, source="010594Y9033"),  # an invalid code is searched for too
        row("employment_spell", 5, weekly_hours="7.5"),  # short: never searched, still accepted
    ]
    path = write_csv(tmp_path / "spells.csv", "employment_spell", rows)
    report = import_file(store, "employment_spell", path, key=key)
    assert (report.rows_accepted, report.quarantined_by_reason) == (2, {"hetu_in_field": 3})
    found = [(p["line"], p["column_name"], p["value"]) for p in quarantine_rows(store, report.import_id)]
    assert found == [(3, "start_date", "<hetu>"), (4, "employer_sector", "public <hetu>"), (5, "source", "<hetu>")]


@pytest.mark.parametrize(
    ("field", "expected"),
    [("start_date", True), ("weekly_hours", True), ("monthly_wage", True), ("subsidised", True), ("source", True)],
)
def test_fields_whose_values_cannot_hold_a_code(field: str, expected: bool) -> None:
    assert converts_without_codes(SPELLS.table.field(field), SPELLS) is expected


def test_text_is_always_searched() -> None:
    teams = load_mapping(None).for_table("team")
    assert converts_without_codes(teams.table.field("name"), teams) is False


TEXTS = st.one_of(
    st.sampled_from(["2023-04-01", "37.5", "2800.00", "true", "FALSE", "private", "Private", "income_register", "", "1,5"]),
    st.sampled_from(TEST_CODES + ("010594Y9033", "131052-308T")),
    st.builds(
        lambda a, c, b: f"{a}{c}{b}", st.text("09-.A ,x", max_size=4), st.sampled_from(TEST_CODES), st.text("09-A ", max_size=3)
    ),
    st.text("0123456789-+A.,: ", max_size=14),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=12))
def test_the_shortcut_gives_the_same_reason_as_the_full_search(texts: list[str]) -> None:
    """Every rule of the spell table, on any texts: the same reason with and without the
    shortcut for converted values (which is what makes skipping the search safe)."""
    for field in SPELLS.table.fields:
        if field.kind == "identity":
            continue
        guarded = _reasons(field.name, texts)
        original = rules.converts_without_codes
        rules.converts_without_codes = lambda *_: False  # type: ignore[assignment]
        try:
            full = _reasons(field.name, texts)
        finally:
            rules.converts_without_codes = original  # type: ignore[assignment]
        assert guarded == full, field.name


def _reasons(name: str, texts: list[str]) -> list[str | None]:
    field = SPELLS.table.field(name)
    t = text_col(name)
    relation = f"SELECT *, {value_sql(field, SPELLS)} AS \"{name}\" FROM (SELECT NULLIF(unnest($texts), '') AS {t})"
    query = f"SELECT {problem_sql(field, SPELLS)} FROM ({relation})"
    return [reason for (reason,) in duckdb.sql(query, params={"texts": texts}).fetchall()]
