"""No raw identity code survives an import: not in data, quarantine, import_log or reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ingest_helpers import TEST_CODES, row, write_csv

from polku.errors import PolkuError
from polku.identity import PseudonymKey, pseudonym
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
