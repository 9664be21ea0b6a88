"""The one module that owns the store's connection.

Import writes go through the raw DuckDB connection (transactions, bulk SQL); analysis
tables are built with Ibis expressions on `Store.ibis`, so the same expressions can run on
Spark for national scale. Nothing else in Polku opens DuckDB itself.
"""

from __future__ import annotations

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


@dataclass
class Store:
    path: Path
    con: duckdb.DuckDBPyConnection

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

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: Path | str | None = None, *, read_only: bool = False) -> Store:
    """Open (and on first use create) the store at `path`, or the configured default."""
    target = Path(path) if path is not None else settings.store_path()
    if read_only and not target.exists():
        raise UsageError(
            f"no store at {target}",
            fix="run `polku import` or `polku demo` first, or point POLKU_STORE at an existing store.",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(target), read_only=read_only)
    if not read_only:
        for statement in create_statements():
            con.execute(statement)
    return Store(path=target, con=con)
