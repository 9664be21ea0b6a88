"""Idempotent re-imports, replacement by source, one transaction per import, folder imports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ingest_helpers import quarantine_rows, row, table_checksum, write_csv

from polku.identity import PseudonymKey
from polku.ingest import import_file, import_folder
from polku.schema.tables import IMPORT_ORDER, TABLES
from polku.store import Store, open_store

ALL_TABLES = (*TABLES, "quarantine")


def _checksums(store: Store) -> dict[str, tuple[int, str]]:
    return {name: table_checksum(store, name) for name in ALL_TABLES}


def _spells(tmp_path: Path, name: str, rows: list[dict[str, str]]) -> Path:
    return write_csv(tmp_path / name, "employment_spell", rows)


def test_reimporting_the_same_file_changes_no_table(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    path = _spells(tmp_path, "spells.csv", [row("employment_spell", 1), row("employment_spell", 2, weekly_hours="x")])
    first = import_file(store, "employment_spell", path, key=key)
    before = _checksums(store)
    again = import_file(store, "employment_spell", path, key=key)
    assert _checksums(store) == before
    assert (first.status, again.status) == ("imported", "unchanged")
    assert (again.rows_read, again.rows_accepted, again.rows_quarantined) == (2, 1, 1)
    assert again.quarantined_by_reason == {"not_a_number": 1}
    log = store.con.execute("SELECT import_id, status, file_sha256 FROM import_log ORDER BY import_id").fetchall()
    assert [(i, s) for i, s, _ in log] == [(1, "imported"), (2, "unchanged")]
    assert log[0][2] == log[1][2] and len(log[0][2]) == 64


def test_a_file_read_the_careful_way_keeps_its_digest_and_reimports_unchanged(
    store: Store, key: PseudonymKey, tmp_path: Path
) -> None:
    """Regression: a row with the wrong number of fields sends the file down the careful
    reading, which used to drop the SHA-256, so the same file came back as 'replaced'."""
    path = _spells(tmp_path, "spells.csv", [row("employment_spell", 1), row("employment_spell", 2)])
    path.write_text(path.read_text(encoding="utf-8") + "E9,too,few\n", encoding="utf-8")
    first = import_file(store, "employment_spell", path, key=key)
    again = import_file(store, "employment_spell", path, key=key)
    assert (first.rows_read, first.rows_accepted, first.rows_quarantined) == (3, 2, 1)
    assert (first.status, again.status) == ("imported", "unchanged")
    digests = [d for (d,) in store.con.execute("SELECT file_sha256 FROM import_log ORDER BY import_id").fetchall()]
    assert len(digests[0]) == 64 and digests[0] == digests[1]


def test_a_new_file_under_the_same_source_replaces_rows_and_quarantine(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    old = _spells(
        tmp_path / "v1",
        "spells.csv",
        [row("employment_spell", 1), row("employment_spell", 2), row("employment_spell", 3, subsidised="?")],
    )
    new = _spells(tmp_path / "v2", "spells.csv", [row("employment_spell", 4)])
    other = _spells(tmp_path, "other.csv", [row("employment_spell", 5)])
    import_file(store, "employment_spell", other, key=key)
    import_file(store, "employment_spell", old, key=key)
    report = import_file(store, "employment_spell", new, key=key, allow_shrink=True)
    assert (report.status, report.rows_replaced, report.rows_accepted) == ("replaced", 2, 1)
    stored = store.con.execute("SELECT employment_id, _source FROM employment_spell ORDER BY 1").fetchall()
    assert stored == [("W4", "spells.csv"), ("W5", "other.csv")]
    assert quarantine_rows(store) == []


def test_same_file_under_a_new_mapping_or_key_version_is_reimported(store: Store, tmp_path: Path) -> None:
    path = _spells(tmp_path, "spells.csv", [row("employment_spell", 1)])
    import_file(store, "employment_spell", path, key=PseudonymKey(bytes(32), 1))
    report = import_file(store, "employment_spell", path, key=PseudonymKey(bytes(32), 2))
    assert (report.status, report.rows_replaced) == ("replaced", 1)
    assert store.con.execute("SELECT key_version FROM employment_spell").fetchall() == [(2,)]


def test_explicit_source_names_the_rows(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    first = _spells(tmp_path / "a", "export-2024-01.csv", [row("employment_spell", 1)])
    second = _spells(tmp_path / "b", "export-2024-02.csv", [row("employment_spell", 2)])
    import_file(store, "employment_spell", first, key=key, source="registry")
    report = import_file(store, "employment_spell", second, key=key, source="registry")
    assert report.status == "replaced"
    assert store.con.execute("SELECT employment_id, _source FROM employment_spell").fetchall() == [("W2", "registry")]


def test_key_already_stored_from_another_source_is_quarantined(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    import_file(store, "team", write_csv(tmp_path / "a.csv", "team", [row("team", 1)]), key=key)
    report = import_file(store, "team", write_csv(tmp_path / "b.csv", "team", [row("team", 1), row("team", 2)]), key=key)
    assert (report.rows_accepted, report.rows_quarantined) == (1, 1)
    [problem] = quarantine_rows(store, report.import_id)
    assert (problem["line"], problem["column_name"], problem["value"], problem["reason_code"]) == (
        2,
        "team_id",
        "T1",
        "key_in_other_source",
    )
    assert "already imported from another source" in problem["reason"]


def test_import_log_keeps_the_no_loss_invariant(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    path = _spells(
        tmp_path, "spells.csv", [row("employment_spell", i, weekly_hours="0" if i % 3 == 0 else "20") for i in range(1, 10)]
    )
    report = import_file(store, "employment_spell", path, key=key)
    log = store.con.execute(
        "SELECT rows_read, rows_accepted, rows_quarantined, status, key_version, file_format, mapping FROM import_log"
    ).fetchall()
    assert log == [(9, 6, 3, "imported", 1, "csv", report.mapping)]
    assert report.mapping.startswith("synthetic (sha256:")


def test_a_failure_inside_the_transaction_leaves_the_store_as_before(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    import_file(store, "employment_spell", _spells(tmp_path / "a", "spells.csv", [row("employment_spell", 1)]), key=key)
    before = _checksums(store)
    log_before = store.con.execute("SELECT count(*) FROM import_log").fetchall()

    def fail_at_commit(step: str, fraction: float) -> None:
        if step == "committing":
            raise RuntimeError("simulated crash")

    newer = _spells(tmp_path / "b", "spells.csv", [row("employment_spell", 2), row("employment_spell", 3, hetu="bad")])
    with pytest.raises(RuntimeError, match="simulated crash"):
        import_file(store, "employment_spell", newer, key=key, progress=fail_at_commit)
    assert _checksums(store) == before
    assert store.con.execute("SELECT count(*) FROM import_log").fetchall() == log_before
    report = import_file(store, "employment_spell", newer, key=key)
    assert (report.status, report.rows_replaced, report.rows_accepted, report.rows_quarantined) == ("replaced", 1, 1, 1)


KILLED_IMPORT = """
import sys, time
from pathlib import Path
from polku.identity import PseudonymKey
from polku.ingest import import_file
from polku.store import open_store

def hold_at_commit(step, fraction):
    if step == "committing":
        Path(sys.argv[3]).write_text("inside")
        time.sleep(60)

with open_store(Path(sys.argv[1])) as store:
    import_file(store, "employment_spell", Path(sys.argv[2]), key=PseudonymKey(bytes(range(32)), 1), progress=hold_at_commit)
"""


def test_sigkill_half_way_leaves_no_partial_rows_and_the_next_import_completes(key: PseudonymKey, tmp_path: Path) -> None:
    store_path = tmp_path / "store.duckdb"
    with open_store(store_path) as store:
        import_file(store, "team", write_csv(tmp_path / "team.csv", "team", [row("team", 1)]), key=key)
        before = _checksums(store)
    spells = _spells(tmp_path, "spells.csv", [row("employment_spell", i) for i in range(1, 2001)])
    marker = tmp_path / "inside-transaction"
    child = subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, str(store_path), str(spells), str(marker)])
    deadline = time.monotonic() + 30
    while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the child never reached the open transaction"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    with open_store(store_path) as store:
        assert _checksums(store) == before
        assert store.con.execute("SELECT count(*) FROM import_log").fetchall() == [(1,)]
        report = import_file(store, "employment_spell", spells, key=key)
        assert (report.status, report.rows_accepted) == ("imported", 2000)
        assert store.con.execute("SELECT count(*) FROM employment_spell").fetchall() == [(2000,)]


def test_import_folder_follows_import_order_and_ignores_other_files(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    for table in ("employment_spell", "team", "person", "service"):
        write_csv(tmp_path / f"{table}.csv", table, [row(table, 1)])
    (tmp_path / "ground_truth_flaws.csv").write_text("file,line,column,flaw\n", encoding="utf-8")
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    steps: list[str] = []
    reports = import_folder(store, tmp_path, key=key, progress=lambda s, f: steps.append(s))
    assert [r.table for r in reports] == [t for t in IMPORT_ORDER if t in {"employment_spell", "team", "person", "service"}]
    assert all(r.rows_accepted == 1 and r.status == "imported" for r in reports)
    assert steps[0] == "service: reading service.csv"


def test_import_folder_refuses_two_files_for_one_table(store: Store, key: PseudonymKey, tmp_path: Path) -> None:
    from polku.errors import UsageError

    write_csv(tmp_path / "team.csv", "team", [row("team", 1)])
    (tmp_path / "team.parquet").write_bytes(b"")
    with pytest.raises(UsageError, match="several files for table team"):
        import_folder(store, tmp_path, key=key)
    with pytest.raises(UsageError, match="folder to import does not exist"):
        import_folder(store, tmp_path / "missing", key=key)
