"""The store's analysis tables, named for another engine to read (`polku.engine.spark`).

Why here: only `polku.store` and `polku.ingest` touch the DuckDB connection. Another engine
reads the tables through Ibis (`Store.table(...).to_pyarrow()`); what it needs from DuckDB's
catalog is which tables there are and which of their columns are UUIDs, since Spark has no
UUID type and carries them as text (the cohort turns them back, `polku.cohort.build.as_frame`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from polku.errors import UsageError
from polku.store.catalog import KEPT_PREFIXES, columns_of_type
from polku.store.connection import Store
from polku.store.ddl import HISTORY_PREFIX


def analysis_tables(store: Store) -> dict[str, tuple[str, ...]]:
    """Every base table an analysis may read (not the audit trail, not replaced imports'
    history), by name, with its UUID columns."""
    rows = store.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND database_name = current_database() "
        "AND schema_name = 'main' ORDER BY table_name"
    ).fetchall()
    names = [name for (name,) in rows if not name.startswith((*KEPT_PREFIXES, HISTORY_PREFIX))]
    return {name: tuple(columns_of_type(store.con, name, "UUID")) for name in names}


def parquet_tables(folder: Path) -> dict[str, Path]:
    """The tables of a Parquet register: each `<table>.parquet` file or `<table>/` folder
    (Hive-partitioned, e.g. `person/area=A01/part-0.parquet`) in `folder`, by name."""
    found = {}
    for path in sorted(Path(folder).iterdir()):
        if path.suffix == ".parquet" and path.is_file():
            found[path.stem] = path
        elif path.is_dir() and not path.name.startswith(".") and any(path.rglob("*.parquet")):
            found[path.name] = path
    if not found:
        raise UsageError(f"no Parquet tables in {folder}", fix="give the folder `polku generate --format parquet` wrote.")
    return found


def open_parquet_register(folder: Path) -> Store:
    """The Parquet register in `folder` as a read-only store on DuckDB (in memory, views over
    the files): the same Ibis queries as over a store, with `area` from the partitions."""
    con = duckdb.connect()
    for name, path in parquet_tables(folder).items():
        pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
        hive = "true" if path.is_dir() else "false"
        con.execute(f"CREATE VIEW \"{name}\" AS SELECT * FROM read_parquet('{pattern}', hive_partitioning = {hive})")
    return Store(path=Path(folder), con=con)
