"""Read-only connections hold DuckDB's memory to POLKU_READ_MEMORY_MB (docs/scale.md)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from polku.store.snapshots import connect_read_only


def _limit(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert row is not None
    return str(row[0])


@pytest.fixture()
def database(tmp_path: Path) -> Path:
    path = tmp_path / "read.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT range AS x FROM range(10)")
    return path


def test_the_setting_is_the_limit_and_other_readers_still_open_the_file(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,000 MB is 953.6 MiB as DuckDB shows it; a plain read-only connection to the same file in
    the same process still opens (a connect-time config would make DuckDB refuse it)."""
    monkeypatch.setenv("POLKU_READ_MEMORY_MB", "1000")
    con = connect_read_only(database)
    try:
        assert _limit(con) == "953.6 MiB"
        other = duckdb.connect(str(database), read_only=True)
        assert other.execute("SELECT sum(x) FROM t").fetchone() == (45,)
        other.close()
    finally:
        con.close()


def test_zero_leaves_duckdb_s_own_limit(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with duckdb.connect(str(database), read_only=True) as plain:
        default = _limit(plain)
    monkeypatch.setenv("POLKU_READ_MEMORY_MB", "0")
    con = connect_read_only(database)
    try:
        assert _limit(con) == default != "953.6 MiB"
    finally:
        con.close()
