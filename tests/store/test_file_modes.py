"""The store's files are owner-only: the DuckDB file, its `.wal` and the folders made for it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from polku.store import connection, open_store


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_its_wal_and_its_folders_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "polku.duckdb"
    with open_store(path) as store:
        store.con.execute("INSERT INTO team VALUES ('T1', 'A1', 'x', 1, 's', 2)")
        wal = path.with_name("polku.duckdb.wal")
        assert wal.exists(), "a write before checkpoint leaves a .wal"
        assert (_mode(path), _mode(wal)) == (0o600, 0o600)
        store.con.execute("CHECKPOINT")
        store.con.execute("INSERT INTO team VALUES ('T2', 'A1', 'y', 1, 's', 3)")
        assert _mode(wal) == 0o600, "the .wal made again after a checkpoint"
    assert (_mode(path.parent), _mode(path.parent.parent)) == (0o700, 0o700)


def test_an_existing_world_readable_store_is_narrowed_when_opened_for_writing(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with open_store(path):
        pass
    path.chmod(0o644)
    with open_store(path, read_only=True):
        assert _mode(path) == 0o644, "a reader changes nothing"
    with open_store(path):
        assert _mode(path) == 0o600


def test_the_callers_umask_comes_back_when_the_last_store_closes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a fresh counter: a store another test left open would otherwise keep holding the umask
    monkeypatch.setattr(connection, "OWNER_ONLY", connection._OwnerOnly())
    before = os.umask(0o022)
    try:
        outer = open_store(tmp_path / "a.duckdb")
        inner = open_store(tmp_path / "b.duckdb")
        inner.close()
        (tmp_path / "while-open.txt").write_text("x")
        outer.close()
        (tmp_path / "after.txt").write_text("x")
        assert (_mode(tmp_path / "while-open.txt"), _mode(tmp_path / "after.txt")) == (0o600, 0o644)
    finally:
        os.umask(before)


def test_a_store_made_before_the_change_counts_gains_their_columns(tmp_path: Path) -> None:
    """Stores made before import_log counted added, removed and changed rows still import."""
    path = tmp_path / "old.duckdb"
    with open_store(path) as store:
        for column in ("rows_added", "rows_removed", "rows_changed", "version_import_id"):
            store.con.execute(f"ALTER TABLE import_log DROP COLUMN {column}")
    with open_store(path) as store:
        names = [
            n
            for (n,) in store.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'import_log'"
            ).fetchall()
        ]
    assert names[-4:] == ["rows_added", "rows_removed", "rows_changed", "version_import_id"]
