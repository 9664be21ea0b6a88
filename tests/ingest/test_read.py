"""Reading files: encodings, BOM, separators, quoted newlines, XLSX, Parquet, whole-file errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from ingest_helpers import FIXTURES, header, quarantine_rows, row, write_csv

from polku.errors import UsageError, ValidationFailed
from polku.identity import PseudonymKey
from polku.ingest import import_file
from polku.ingest.decoding import decode
from polku.ingest.mapping import FileOptions
from polku.store import Store

ERRORS = FIXTURES / "errors"
AUTO = FIXTURES / "mappings" / "auto_detect.yaml"


def _teams(store: Store) -> list[tuple]:
    return store.con.execute("SELECT team_id, area_id, name, _line FROM team ORDER BY _line").fetchall()


def test_utf8_with_bom_reads_the_first_column_by_its_name(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    path = tmp_path / "team.csv"
    path.write_bytes("\ufeffteam_id,area_id,name\nT1,A1,Säräisniemi\n".encode("utf-8"))
    report = import_file(store, "team", path, key=key)
    assert report.rows_accepted == 1
    assert _teams(store) == [("T1", "A1", "Säräisniemi", 2)]


@pytest.mark.parametrize("encoding", ["latin-1", "windows-1252"])
def test_non_utf8_files_are_detected_and_decoded(store: Store, key: PseudonymKey, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "team.csv"
    path.write_bytes(
        "team_id;area_id;name\nT1;A1;Säräisniemi – Åbo\n".replace("–", "-" if encoding == "latin-1" else "–").encode(encoding)
    )
    import_file(store, "team", path, key=key, mapping=AUTO)
    expected = "Säräisniemi - Åbo" if encoding == "latin-1" else "Säräisniemi – Åbo"
    assert _teams(store) == [("T1", "A1", expected, 2)]


def test_decode_prefers_utf8_then_windows_1252() -> None:
    assert decode("ä".encode(), Path("x.csv"), "auto") == ("ä", "utf-8")
    assert decode("€ä".encode("windows-1252"), Path("x.csv"), "auto") == ("€ä", "windows-1252")


def test_a_utf8_file_under_a_latin1_mapping_stops_instead_of_storing_mojibake(tmp_path: Path) -> None:
    """Review finding: a UTF-8 provider name was stored as 'Ã\x84Ã¤nekoski'."""
    for data in ("name\nÄänekoski\n".encode(), b"\xef\xbb\xbfname\nx\n"):
        with pytest.raises(ValidationFailed, match="looks like UTF-8, but the mapping says latin-1"):
            decode(data, Path("x.csv"), "latin-1")


def test_the_latin1_label_reads_windows_1252_punctuation() -> None:
    """Review finding: € and – from Excel were stored as control characters U+0080, U+0096."""
    assert decode("€ – Åbo".encode("windows-1252"), Path("x.csv"), "latin-1") == ("€ – Åbo", "windows-1252")
    assert decode(b"\x81", Path("x.csv"), "latin-1") == ("\x81", "latin-1")  # undefined in 1252


def test_latin1_file_under_the_utf8_synthetic_mapping_stops_with_line_and_fix(store: Store, key: PseudonymKey) -> None:
    with pytest.raises(ValidationFailed) as caught:
        import_file(store, "team", ERRORS / "latin1_team.csv", key=key)
    text = str(caught.value)
    assert "not readable as utf-8" in text
    assert "latin1_team.csv, line 3" in text
    assert "encoding: auto" in text and "0xE4 at offset" in text
    assert store.con.execute("SELECT count(*) FROM import_log").fetchall() == [(0,)]


def test_quoted_newlines_keep_true_line_numbers(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    path = tmp_path / "team.csv"
    path.write_text('team_id,area_id,name\nT1,A1,"two\nlines"\n\nT2,A1,"say ""hi"""\nT3,,x\n', encoding="utf-8")
    report = import_file(store, "team", path, key=key)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (3, 2, 1)
    assert _teams(store) == [("T1", "A1", "two\nlines", 2), ("T2", "A1", 'say "hi"', 5)]
    [problem] = quarantine_rows(store)
    assert (problem["line"], problem["column_name"], problem["reason_code"]) == (6, "area_id", "missing_value")


def test_crlf_line_endings(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    path = tmp_path / "team.csv"
    path.write_bytes(b"team_id,area_id,name\r\nT1,A1,x\r\nT2,A1,y\r\n")
    import_file(store, "team", path, key=key)
    assert _teams(store) == [("T1", "A1", "x", 2), ("T2", "A1", "y", 3)]


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for values in rows:
        sheet.append(values)
    book.save(path)
    return path


def test_xlsx_typed_cells_are_read_as_text_and_validated(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    columns = header("employment_spell")
    good = row("employment_spell", 1)
    typed = [good["employment_id"], good["hetu"], dt.date(2023, 4, 1), None, 37.5, 2800, "private", False, "income_register"]
    bad = list(typed)
    bad[0], bad[4] = "W2", "full time"
    path = _workbook(tmp_path / "employment_spell.xlsx", [columns, typed, [], bad])
    report = import_file(store, "employment_spell", path, key=key)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (2, 1, 1)
    stored = store.con.execute(
        "SELECT start_date, end_date, weekly_hours, monthly_wage, subsidised, _line FROM employment_spell"
    ).fetchall()
    assert stored == [(dt.date(2023, 4, 1), None, 37.5, pytest.approx(2800), False, 2)]
    [problem] = quarantine_rows(store)
    assert (problem["line"], problem["column_name"], problem["value"]) == (4, "weekly_hours", "full time")


def test_parquet_is_read_with_row_lines(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    frame = pd.DataFrame({"team_id": ["T1", "T2", "T3"], "area_id": ["A1", None, "A2"], "name": ["a", "b", "c"]})
    path = tmp_path / "team.parquet"
    frame.to_parquet(path)
    report = import_file(store, "team", path, key=key)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (3, 2, 1)
    assert _teams(store) == [("T1", "A1", "a", 2), ("T3", "A2", "c", 4)]
    assert quarantine_rows(store)[0]["line"] == 3


def test_parquet_typed_columns_follow_the_mapping(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    frame = pd.DataFrame([row("employment_spell", 1)])
    frame["start_date"] = pd.to_datetime(frame["start_date"]).dt.date
    frame["weekly_hours"] = 37.5
    frame["subsidised"] = True
    path = tmp_path / "employment_spell.parquet"
    frame.to_parquet(path)
    report = import_file(store, "employment_spell", path, key=key)
    assert report.rows_accepted == 1
    assert store.con.execute("SELECT start_date, weekly_hours, subsidised FROM employment_spell").fetchall() == [
        (dt.date(2023, 4, 1), 37.5, True)
    ]


WHOLE_FILE_ERRORS = {
    "empty.csv": ("the file is empty", "line 1", "header row"),
    "unknown_column.csv": ("does not map: colour", "line 1, column 'colour'", "tables.team.columns"),
    "missing_column.csv": ("required column 'area_id' is missing", "line 1, column 'area_id'", "add the column"),
    "duplicate_header.csv": ("'name' appears twice", "line 1, column 'name'", "rename one"),
}


@pytest.mark.parametrize("name", sorted(WHOLE_FILE_ERRORS))
def test_whole_file_errors_name_what_where_and_fix(store: Store, key: PseudonymKey, name: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        import_file(store, "team", ERRORS / name, key=key)
    text = str(caught.value)
    for words in WHOLE_FILE_ERRORS[name]:
        assert words in text, (words, text)
    assert name in text
    assert store.con.execute("SELECT count(*) FROM import_log").fetchall() == [(0,)]
    assert store.con.execute("SELECT count(*) FROM team").fetchall() == [(0,)]


def test_missing_file_unknown_table_and_format_are_usage_errors(store: Store, key: PseudonymKey) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        import_file(store, "team", ERRORS / "nope.csv", key=key)
    with pytest.raises(UsageError, match="unknown table 'teams'") as caught:
        import_file(store, "teams", ERRORS / "unknown_column.csv", key=key)
    assert "case_worker" in str(caught.value)
    with pytest.raises(UsageError, match="cannot import a '.json' file"):
        import_file(store, "team", ERRORS / "team.json", key=key)


def test_semicolon_is_detected_when_the_mapping_says_auto(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "team.csv", "team", [row("team", 1)], delimiter=";")
    import_file(store, "team", path, key=key, mapping=AUTO)
    assert _teams(store) == [("T1", "A1", "Rovaniemi 1", 2)]
    assert FileOptions().delimiter == "auto"


def test_a_header_only_file_cannot_silently_empty_a_source(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    """Review finding: a failed (empty) monthly export replaced the source's rows with nothing."""
    path = tmp_path / "team.csv"
    path.write_text("team_id,area_id,name\nT1,A1,x\nT2,A1,y\n", encoding="utf-8")
    import_file(store, "team", path, key=key)
    path.write_text("team_id,area_id,name\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="source 'team.csv' of team had 2 rows, the new file would leave 0") as caught:
        import_file(store, "team", path, key=key)
    assert "--allow-shrink" in str(caught.value)
    assert store.con.execute("SELECT count(*) FROM team").fetchall() == [(2,)]
    report = import_file(store, "team", path, key=key, allow_shrink=True)
    assert (report.status, report.rows_replaced) == ("replaced", 2)
    assert store.con.execute("SELECT count(*) FROM team").fetchall() == [(0,)]


def test_header_only_file_imports_zero_rows(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    path = tmp_path / "team.csv"
    path.write_text("team_id,area_id,name\n", encoding="utf-8")
    report = import_file(store, "team", path, key=key)
    assert (report.status, report.rows_read, report.rows_accepted, report.rows_quarantined) == ("imported", 0, 0, 0)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("team_id,area_id,name\nT1 ,A1,Kemi\nT2,A1,Tornio\n", [("T1", "A1", "Kemi", 2), ("T2", "A1", "Tornio", 3)]),
        ("team_id,area_id,name\nT1\u00a0,A1,Kemi\nT2,A1,Tornio\n", [("T1", "A1", "Kemi", 2), ("T2", "A1", "Tornio", 3)]),
        ("team_id,area_id,name\nT1,A1,Kemi\nT2,A1,Tornio\n", [("T1", "A1", "Kemi", 2), ("T2", "A1", "Tornio", 3)]),
    ],
    ids=["space", "only-a-no-break-space", "no-space-at-all"],
)
def test_values_are_trimmed_whether_or_not_the_file_needs_it(
    store: Store, key: PseudonymKey, tmp_path: Path, content: str, expected: list[tuple]
) -> None:
    """A file without spaces skips the trim check; one no-break space anywhere turns it on."""
    path = tmp_path / "team.csv"
    path.write_bytes(content.encode("utf-8"))
    import_file(store, "team", path, key=key)
    assert _teams(store) == expected


def test_space_detection_looks_for_spaces_and_no_break_spaces_only() -> None:
    from polku.ingest.read import _has_spaces

    assert not _has_spaces(b"a,b\n1,2\n")
    assert not _has_spaces("a,b\nà,2\n".encode())  # 0xA0 as part of another character
    assert _has_spaces(b"a,b\n1, 2\n")
    assert _has_spaces("a,b\n1,2\u00a0\n".encode())


def test_a_carriage_return_inside_a_value_sets_its_line_apart(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    """Found by the line-number property test: DuckDB's strict parser refused the file with
    an internal error (its lenient mode would silently cut the value at the CR). The line
    goes to quarantine; the lines around it are imported."""
    path = tmp_path / "team.csv"
    path.write_bytes(b"team_id,area_id,name\r\nT1,A1,Kemi\r\nT2,A1,Ke\rmi\r\nT3,A1,Oulu\r\n")
    report = import_file(store, "team", path, key=key)
    assert (report.rows_read, report.rows_accepted, report.quarantined_by_reason) == (3, 2, {"stray_carriage_return": 1})
    assert store.con.execute("SELECT line FROM quarantine").fetchall() == [(3,)]
    assert [line for *_, line in _teams(store)] == [2, 4]


def test_blank_lines_in_an_unquoted_file_keep_true_line_numbers(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    """No quotes, so the fast count is tried first; DuckDB skips the blank lines, the counts
    differ, and the record scan numbers the rows."""
    path = tmp_path / "team.csv"
    path.write_bytes(b"team_id,area_id,name\nT1,A1,Kemi\n\nT2,A1,Tornio\r\n\r\nT3,A1,Oulu\n\n")
    report = import_file(store, "team", path, key=key)
    assert (report.rows_read, report.rows_accepted) == (3, 3)
    assert [line for *_, line in _teams(store)] == [2, 4, 6]


# --- issue 14: every record of the file is accepted or quarantined ------------------------


def _benefits(path: Path, count: int) -> Path:
    return write_csv(path, "benefit_spell", [row("benefit_spell", n) for n in range(1, count + 1)])


def test_a_stray_quote_on_line_151_of_200_quarantines_that_line_only(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    """Issue 14: the quote opened at the start of the payer field on line 151 swallowed
    lines 152-201 (rows read 150), and the re-import replaced 200 stored rows by 149."""
    import_file(store, "benefit_spell", _benefits(tmp_path / "v1" / "benefit_spell.csv", 200), key=key)
    path = _benefits(tmp_path / "benefit_spell.csv", 200)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[150] = lines[150].replace(",kela,", ',"kela,', 1)
    path.write_text("".join(lines), encoding="utf-8")
    report = import_file(store, "benefit_spell", path, key=key)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (200, 199, 1)
    assert report.file_records == 200
    assert report.quarantined_by_reason == {"unbalanced_quote": 1}
    assert store.con.execute("SELECT line, reason_code, value, record FROM quarantine").fetchall() == [
        (151, "unbalanced_quote", None, None)
    ]
    stored = [line for (line,) in store.con.execute("SELECT _line FROM benefit_spell ORDER BY _line").fetchall()]
    assert stored == [n for n in range(2, 202) if n != 151]
    assert store.con.execute("SELECT file_records FROM import_log ORDER BY import_id").fetchall() == [(200,), (200,)]


def test_cr_only_line_endings_are_read_line_by_line(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    """Issue 14: a file with classic-Mac CR line ends stopped with a raw `_csv.Error` traceback."""
    path = tmp_path / "team.csv"
    path.write_bytes(b"team_id,area_id,name\rT1,A1,Kemi\rT2,A1,Tornio\r\rT3,A1,Oulu")
    report = import_file(store, "team", path, key=key)
    assert (report.rows_read, report.rows_accepted, report.file_records) == (3, 3, 3)
    assert _teams(store) == [("T1", "A1", "Kemi", 2), ("T2", "A1", "Tornio", 3), ("T3", "A1", "Oulu", 5)]


@pytest.mark.parametrize(
    ("tail", "reason"),
    [(b"T3,A1", "wrong_field_count"), (b'T3,A1,"Oulu', "unbalanced_quote"), (b'T3,A1,"Ou\nlu', "unbalanced_quote")],
)
def test_a_truncated_last_record_is_quarantined(
    store: Store, key: PseudonymKey, tmp_path: Path, tail: bytes, reason: str
) -> None:
    path = tmp_path / "team.csv"
    path.write_bytes(b'team_id,area_id,name\nT1,A1,Kemi\nT2,A1,"Tor ""nio"""\n' + tail)
    report = import_file(store, "team", path, key=key)
    assert report.rows_accepted == 2
    assert report.rows_accepted + report.rows_quarantined == report.file_records == report.rows_read
    assert store.con.execute("SELECT min(line), any_value(reason_code) FROM quarantine").fetchall() == [(4, reason)]
    assert _teams(store)[1] == ("T2", "A1", 'Tor "nio"', 3)


@pytest.mark.parametrize("quoted", [False, True])
def test_a_value_of_megabytes_is_set_apart(store: Store, key: PseudonymKey, tmp_path: Path, quoted: bool) -> None:
    """Whether the file has quotes (every record scanned) or not (each line one row)."""
    path = tmp_path / "team.csv"
    first = b'T1,A1,"Kemi"' if quoted else b"T1,A1,Kemi"
    path.write_bytes(b"team_id,area_id,name\n" + first + b"\nT2,A1," + b"x" * (3 << 20) + b"\nT3,A1,Oulu\n")
    report = import_file(store, "team", path, key=key)
    assert (report.rows_accepted, report.quarantined_by_reason, report.file_records) == (2, {"field_too_long": 1}, 3)
    assert [line for *_, line in _teams(store)] == [2, 4]


def test_an_over_long_value_in_an_xlsx_cell_is_set_apart(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "team.xlsx", [header("team"), ["T1", "A1", "Kemi"], ["T2", "A1", "x" * 1001], ["T\n3", "A1", "Oulu"]]
    )
    report = import_file(store, "team", path, key=key)
    assert (report.rows_accepted, report.file_records) == (1, 3)
    assert store.con.execute("SELECT line, column_name, reason_code FROM quarantine ORDER BY line").fetchall() == [
        (3, "name", "field_too_long"),
        (4, "team_id", "line_break_in_key"),
    ]


def _watch_tmpdir(folder: Path, secrets: list[str]) -> tuple[list[str], object]:
    """A progress callback that records, at every step of the import, each file under
    `folder` and whether it holds one of `secrets`."""
    seen: list[str] = []

    def watch(step: str, fraction: float) -> None:
        for path in folder.rglob("*"):
            holds = path.is_file() and any(s.encode() in path.read_bytes() for s in secrets)
            seen.append(f"{path.name}{' (holds the file text)' if holds else ''}")

    return seen, watch


def test_a_windows_1252_file_is_transcoded_in_memory(
    store: Store, key: PseudonymKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: a Windows-1252 or mixed-line-end file was copied as plaintext UTF-8 to
    TMPDIR (polku-import-*/source-utf8.csv) while it was imported; at every step of the
    import, TMPDIR is now empty."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    monkeypatch.setenv("TMPDIR", str(temp))
    rows = [row("team", n, name=f"Sään {n}") for n in range(1, 4)]
    path = write_csv(tmp_path / "team.csv", "team", rows, encoding="windows-1252")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n", 2))  # mixed line ends too
    seen, watch = _watch_tmpdir(temp, ["Sään"])
    report = import_file(store, "team", path, key=key, mapping=AUTO, progress=watch)
    assert (report.rows_accepted, seen) == (3, [])
    assert [name for _, _, name, _ in _teams(store)] == ["Sään 1", "Sään 2", "Sään 3"]
