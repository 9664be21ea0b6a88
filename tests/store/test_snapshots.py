"""Read snapshots (polku.store.snapshots, docs/operations.md "Readers and writers"): a writer
that committed publishes one when it closes, owner-only and read-only; a write without a
commit publishes none; two are kept; a reader keeps the one it opened; a partial copy is
never read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polku.errors import UsageError
from polku.store import open_store, snapshots


def _commit(path: Path, value: int) -> None:
    with open_store(path) as store, store.transaction() as con:
        con.execute("CREATE TABLE IF NOT EXISTS numbers (n INTEGER)")
        con.execute("INSERT INTO numbers VALUES (?)", [value])


def _numbers(snapshot: Path) -> list[int]:
    with open_store(snapshot, read_only=True) as store:
        return [n for (n,) in store.con.execute("SELECT n FROM numbers ORDER BY n").fetchall()]


def test_a_commit_publishes_an_owner_only_read_only_snapshot_of_it(store_path: Path) -> None:
    assert snapshots.listed(store_path) == []  # the empty store was opened and closed without a commit
    _commit(store_path, 1)
    (snapshot,) = snapshots.listed(store_path)
    assert snapshot == store_path.with_name("polku.duckdb.snapshots") / "00000001.duckdb"
    assert snapshot.stat().st_mode & 0o777 == 0o400 and snapshot.parent.stat().st_mode & 0o777 == 0o700
    pointer = json.loads((snapshot.parent / "latest.json").read_text(encoding="utf-8"))
    assert pointer["snapshot"] == "00000001.duckdb" and snapshots.latest(store_path) == snapshot
    assert _numbers(snapshot) == [1]


def test_a_write_connection_without_a_commit_publishes_nothing(store_path: Path) -> None:
    _commit(store_path, 1)
    with open_store(store_path) as store:
        store.con.execute("SELECT count(*) FROM numbers").fetchall()
    assert [p.name for p in snapshots.listed(store_path)] == ["00000001.duckdb"]


def test_two_snapshots_are_kept_and_a_reader_keeps_reading_the_one_it_opened(store_path: Path) -> None:
    _commit(store_path, 1)
    reader = snapshots.open_snapshot(store_path)
    for value in (2, 3, 4):
        _commit(store_path, value)
    assert [p.name for p in snapshots.listed(store_path)] == ["00000003.duckdb", "00000004.duckdb"]
    assert not reader.path.exists()
    assert [n for (n,) in reader.con.execute("SELECT n FROM numbers").fetchall()] == [1]  # its file is gone, not its data
    reader.close()
    with snapshots.open_snapshot(store_path) as newest:
        assert newest.path.name == "00000004.duckdb"
        assert [n for (n,) in newest.con.execute("SELECT n FROM numbers ORDER BY n").fetchall()] == [1, 2, 3, 4]


def test_a_store_without_snapshots_gets_one_when_a_reader_asks(store_path: Path) -> None:
    with open_store(store_path) as store:
        store.con.execute("CREATE TABLE numbers AS SELECT 7 AS n")  # outside a transaction: no snapshot
    assert snapshots.listed(store_path) == []
    with snapshots.open_snapshot(store_path) as reader:
        assert reader.con.execute("SELECT n FROM numbers").fetchall() == [(7,)]
    assert len(snapshots.listed(store_path)) == 1


def test_a_partial_copy_is_never_read_and_the_next_writer_removes_it(store_path: Path) -> None:
    _commit(store_path, 1)
    partial = snapshots.folder_of(store_path) / ".00000002.duckdb.abcd1234.partial"
    partial.write_bytes(b"half a copy")
    (snapshots.folder_of(store_path) / "latest.json").write_text("{broken", encoding="utf-8")
    assert snapshots.latest(store_path).name == "00000001.duckdb"  # type: ignore[union-attr]
    _commit(store_path, 2)
    assert not partial.exists() and snapshots.latest(store_path).name == "00000002.duckdb"  # type: ignore[union-attr]


def test_after_an_error_what_was_committed_is_still_published(store_path: Path) -> None:
    with pytest.raises(RuntimeError), open_store(store_path) as store:
        with store.transaction() as con:
            con.execute("CREATE TABLE numbers AS SELECT 5 AS n")
        raise RuntimeError("the second file of a folder failed")
    assert _numbers(snapshots.latest(store_path)) == [5]  # type: ignore[arg-type]


def test_replace_all_keeps_only_a_snapshot_of_the_rewritten_store(store_path: Path) -> None:
    for value in (1, 2):
        _commit(store_path, value)
    kept = snapshots.replace_all(store_path)
    assert snapshots.listed(store_path) == [kept] and kept.name == "00000003.duckdb"


def test_no_store_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no store at"):
        snapshots.open_snapshot(tmp_path / "absent.duckdb")


def test_only_the_writer_publishes(store_path: Path) -> None:
    _commit(store_path, 1)
    with snapshots.open_snapshot(store_path) as reader, pytest.raises(ValueError, match="writer"):
        snapshots.publish(reader)
