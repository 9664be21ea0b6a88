"""No raw identity code survives an import: not in data, quarantine, import_log or reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ingest_helpers import TEST_CODES, quarantine_rows, row, write_csv

from polku.errors import PolkuError, UsageError, ValidationFailed
from polku.identity import PseudonymKey, code_hash, pseudonym
from polku.ingest import import_file
from polku.store import Store

INVALID = ("010594Y9033", "310294-9032", "010594-0012", "010594G9032", "010594y9032", " 020594X903", "0105949032XYZ")


def _dump(store: Store) -> str:
    """Every value of every table in the store, as text."""
    tables = [name for (name,) in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    text = []
    for name in tables:
        text += [repr(r) for r in store.con.execute(f"SELECT * FROM {name}").fetchall()]
    return "\n".join(text)


def _fragments(code: str) -> set[str]:
    """The code and its date-plus-individual digits, which alone would identify a person."""
    digits = re.sub(r"[^0-9]", "", code)
    return {code.strip(), digits} if len(digits) >= 9 else {code.strip()}


def test_no_raw_code_in_any_table_after_valid_and_invalid_codes(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    rows = [row("employment_spell", i) for i in range(1, 6)]
    rows += [row("employment_spell", 10 + i, hetu=code) for i, code in enumerate(INVALID)]
    rows.append(row("employment_spell", 30, hetu=TEST_CODES[1]))  # a duplicate person is fine
    rows.append(row("employment_spell", 1))  # duplicate key: its value is the text key, not a code
    path = write_csv(tmp_path / "spells.csv", "employment_spell", rows)
    report = import_file(store, "employment_spell", path, key=key)
    assert (report.rows_accepted, report.rows_quarantined) == (6, len(INVALID) + 1)
    dump = _dump(store) + report.render() + repr(report.to_dict())
    for code in TEST_CODES[:5] + INVALID:
        for fragment in _fragments(code):
            assert fragment not in dump, "a raw identity code was stored"
    stored = {p for (p,) in store.con.execute("SELECT person_id FROM employment_spell").fetchall()}
    assert stored == {pseudonym(code, key) for code in TEST_CODES[:5]}


def test_identity_values_in_quarantine_are_format_classes(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "spells.csv", "employment_spell", [row("employment_spell", 1, hetu="010594y9032 ")])
    import_file(store, "employment_spell", path, key=key)
    value, record = store.con.execute("SELECT value, record FROM quarantine").fetchall()[0]
    assert value == "999999x9999"
    assert '"hetu":"999999x9999"' in record


def test_whole_file_errors_never_quote_values(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    path = tmp_path / "spells.csv"
    path.write_text("employment_id,hetu,010594Y9032\nW1,020594X903P,x\n", encoding="utf-8")
    with pytest.raises(PolkuError) as caught:
        import_file(store, "employment_spell", path, key=key)
    assert "020594X903P" not in str(caught.value)


def test_a_code_in_a_swapped_column_is_quarantined_redacted_with_the_pseudonym(
    store: Store, key: PseudonymKey, tmp_path: Path
) -> None:
    """issue 14, Why: a hetu in a non-identity column (two columns swapped in the export)
    was stored raw in quarantine.value and quarantine.record."""
    swapped = row("employment_spell", 2)
    swapped["hetu"], swapped["start_date"] = swapped["start_date"], swapped["hetu"]
    invalid = row("employment_spell", 3, employer_sector="private 010594Y9033")  # wrong check character
    path = write_csv(tmp_path / "spells.csv", "employment_spell", [row("employment_spell", 1), swapped, invalid])
    report = import_file(store, "employment_spell", path, key=key)
    assert (report.rows_accepted, report.rows_quarantined) == (1, 2)
    assert report.quarantined_by_reason == {"hetu_format": 1, "hetu_in_field": 2}
    problems = quarantine_rows(store, report.import_id)
    assert [(p["line"], p["column_name"], p["value"], p["reason_code"]) for p in problems] == [
        (3, "hetu", "9999-99-99", "hetu_format"),  # the date that landed in the identity column, as its format class
        (3, "start_date", "<hetu>", "hetu_in_field"),
        (4, "employer_sector", "private <hetu>", "hetu_in_field"),
    ]
    assert '"start_date":"<hetu>"' in problems[1]["record"]
    assert {p["person_pseudonym"] for p in problems[:2]} == {pseudonym(TEST_CODES[1], key)}
    assert problems[2]["person_pseudonym"] == pseudonym(TEST_CODES[2], key)  # its own identity column is valid
    assert problems[2]["code_hash"] == code_hash("010594Y9033", key)  # and the stray code is not
    assert problems[1]["code_hash"] == code_hash("2023-04-01", key)  # the identity column's text is not a code
    dump = _dump(store) + report.render()
    for code in (TEST_CODES[1], "010594Y9033"):
        for fragment in _fragments(code):
            assert fragment not in dump


def test_an_invalid_code_in_another_column_carries_its_keyed_hash(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    path = tmp_path / "teams.csv"
    path.write_text("team_id,area_id,name\nT1,A1,Tiimi 010594Y9033\n", encoding="utf-8")
    import_file(store, "team", path, key=key)
    assert store.con.execute("SELECT value, person_pseudonym, code_hash FROM quarantine").fetchall() == [
        ("Tiimi <hetu>", None, code_hash("010594Y9033", key))
    ]


def test_a_file_without_its_header_names_no_code(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    """issue 14, Why: a file exported without a header row printed a raw hetu in the error
    message (the first data row was taken as the header)."""
    lines = [",".join(row("employment_spell", i, end_date="2023-12-31").values()) for i in (1, 2)]
    path = tmp_path / "spells.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        import_file(store, "employment_spell", path, key=key)
    message = caught.value.render()
    assert TEST_CODES[0] not in message and TEST_CODES[1] not in message
    assert "the first line looks like data, not column names" in message
    assert "exported without its header row" in message
    assert message.splitlines()[1] == f"  where: {path}, line 1"
    path.write_text(lines[0].replace("2023-12-31", "") + "\n", encoding="utf-8")  # an empty field: stopped earlier
    with pytest.raises(ValidationFailed) as caught:
        import_file(store, "employment_spell", path, key=key)
    assert "has no name" in caught.value.render() and TEST_CODES[0] not in caught.value.render()


def test_a_code_in_the_file_name_or_source_is_refused(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    """The path and the source name are stored with every row and in import_log."""
    named = write_csv(tmp_path / f"{TEST_CODES[0]}.csv", "employment_spell", [row("employment_spell", 1)])
    plain = write_csv(tmp_path / "spells.csv", "employment_spell", [row("employment_spell", 1)])
    for path, source in ((named, None), (plain, f"export {TEST_CODES[1]}")):
        with pytest.raises(UsageError) as caught:
            import_file(store, "employment_spell", path, key=key, source=source)
        message = caught.value.render()
        assert "shaped like a personal identity code" in message
        assert TEST_CODES[0] not in message and TEST_CODES[1] not in message
    assert store.con.execute("SELECT count(*) FROM import_log").fetchall() == [(0,)]
