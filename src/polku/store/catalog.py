"""Where a person's rows are: every table of the store found from DuckDB's own catalog.

Erasure and retention must reach every copy of a person, including tables that later code
adds (history of replaced imports, cached analysis tables). Naming the tables here would
miss those, so the catalog is read at run time (by `polku.store.removal`, for
`polku.privacy`): any base table with a `person_id` column holds person rows, and any with
`person_pseudonym` holds quarantined rows about a person.
"""

from __future__ import annotations

import duckdb

SUPPRESSION_LIST = "erased_person"
"""The suppression list (`store/ddl.py`): it keeps the pseudonym on purpose, so it is never erased."""

KEPT_PREFIXES = ("audit",)
"""Tables left alone: the audit trail records who read what and is kept under its own
retention, which an erasure must not rewrite (GDPR art. 17(3)(b) and (e); docs/privacy.md)."""


def tables_with_column(con: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    """Base tables of the store (not temporary, not views) that have `column`, by name."""
    rows = con.execute(
        "SELECT t.table_name FROM duckdb_tables() t JOIN duckdb_columns() c ON t.table_oid = c.table_oid "
        "WHERE NOT t.temporary AND t.database_name = current_database() AND t.schema_name = 'main' "
        "AND c.column_name = ? ORDER BY t.table_name",
        [column],
    ).fetchall()
    return [name for (name,) in rows if name != SUPPRESSION_LIST and not name.startswith(KEPT_PREFIXES)]


def columns_of_type(con: duckdb.DuckDBPyConnection, table: str, data_type: str) -> list[str]:
    """Columns of `table` with the given DuckDB type, in table order."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' "
        "AND table_name = ? AND data_type = ? ORDER BY column_index",
        [table, data_type],
    ).fetchall()
    return [name for (name,) in rows]
