"""The one module that owns the store's connection.

Import writes go through the raw DuckDB connection (transactions, bulk SQL); analysis
tables are built with Ibis expressions on `Store.ibis`, so the same expressions can run on
Spark for national scale. Nothing else in Polku opens DuckDB itself.
"""

from __future__ import annotations

import os
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb
import ibis

from polku import settings
from polku.errors import UsageError
from polku.store.ddl import create_statements

# ibis 12's DuckDB backend still calls `fetch_arrow_table()`, which duckdb 2.0 deprecates.
# The filter matches only that message, so every other warning still surfaces. Remove it
# once ibis calls `to_arrow_table()`. (pyproject.toml repeats it for pytest's filters.)
IBIS_DUCKDB_DEPRECATION = r"fetch_arrow_table\(\) is deprecated"
warnings.filterwarnings("ignore", message=IBIS_DUCKDB_DEPRECATION, category=DeprecationWarning)


class _OwnerOnly:
    """Umask 077 while any writable store is open, so that every file DuckDB creates beside
    the store (the `.wal`, which comes and goes with each checkpoint, and spill files under
    `.tmp`) is owner-only. DuckDB has no option for file modes; the umask is the one place.
    Counted, so that nested stores restore the caller's umask only when the last closes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._saved = 0

    def hold(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._saved = os.umask(0o077)
            self._holders += 1

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                os.umask(self._saved)


OWNER_ONLY = _OwnerOnly()


def _private(path: Path) -> None:
    """Narrow an existing store (and its `.wal`) to 0600 when this user owns it, so a store
    made before this rule, or copied in, is closed to other users on its next write.
    Windows file modes do not mean this, so nothing is changed there."""
    if os.name == "nt":
        return
    for file in (path, path.with_name(path.name + ".wal")):
        if file.exists() and file.stat().st_uid == os.getuid():
            file.chmod(0o600)


@dataclass
class Store:
    path: Path
    con: duckdb.DuckDBPyConnection
    writable: bool = False

    @property
    def ibis(self) -> ibis.BaseBackend:
        """Ibis backend over the same connection (read side for analysis tables)."""
        return ibis.duckdb.from_connection(self.con)

    def table(self, name: str) -> ibis.Table:
        return self.ibis.table(name)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: commit when the block ends, roll back on any error or kill."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.close()
        if self.writable:
            self.writable = False
            OWNER_ONLY.release()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: Path | str | None = None, *, read_only: bool = False) -> Store:
    """Open (and on first use create) the store at `path`, or the configured default.

    A writable store's file, `.wal` and any folder created for it are owner-only (0600 and
    0700): the store holds person-level data.
    """
    target = Path(path) if path is not None else settings.store_path()
    if read_only and not target.exists():
        raise UsageError(
            f"no store at {target}",
            fix="run `polku import` or `polku demo` first, or point POLKU_STORE at an existing store.",
        )
    if read_only:
        return Store(path=target, con=duckdb.connect(str(target), read_only=True))
    OWNER_ONLY.hold()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(target))
        _private(target)
        for statement in create_statements():
            con.execute(statement)
    except BaseException:
        OWNER_ONLY.release()
        raise
    return Store(path=target, con=con, writable=True)
