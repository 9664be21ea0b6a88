"""Table definitions in SQL, derived from the schema so that the two never disagree.

Every data table carries lineage columns: which import wrote the row (`_import_id`), from
which source (`_source`, the file's name unless given) and which line (`_line`). Tables
keyed by person also keep the pseudonymisation `key_version`.
"""

from __future__ import annotations

from polku.schema.tables import TABLES, Table

LINEAGE_COLUMNS = (
    ("_import_id", "BIGINT NOT NULL"),
    ("_source", "VARCHAR NOT NULL"),
    ("_line", "BIGINT NOT NULL"),
)

META_TABLES = {
    "import_log": """
        import_id BIGINT PRIMARY KEY,
        table_name VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        file_path VARCHAR NOT NULL,
        file_sha256 VARCHAR NOT NULL,
        file_format VARCHAR NOT NULL,
        mapping VARCHAR,
        key_version INTEGER,
        status VARCHAR NOT NULL,
        rows_read BIGINT NOT NULL,
        rows_accepted BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL,
        rows_replaced BIGINT NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        file_records BIGINT
    """,
    "quarantine": """
        import_id BIGINT NOT NULL,
        table_name VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        file_path VARCHAR NOT NULL,
        line BIGINT,
        column_name VARCHAR,
        value VARCHAR,
        reason_code VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        record VARCHAR
    """,
}


ADDED_COLUMNS = ("ALTER TABLE import_log ADD COLUMN IF NOT EXISTS file_records BIGINT",)
"""Columns added after a store may have been created: a store made before keeps working."""


def column_definitions(table: Table) -> list[tuple[str, str]]:
    """(name, SQL type) of the stored columns, lineage included."""
    columns = [(f.name, f.sql_type) for f in table.fields]
    if table.identity_field is not None:
        columns.append(("key_version", "INTEGER NOT NULL"))
    return columns + list(LINEAGE_COLUMNS)


def create_statements() -> list[str]:
    """CREATE TABLE IF NOT EXISTS for every data and meta table."""
    statements = [
        f"CREATE TABLE IF NOT EXISTS {name} ({body})" for name, body in META_TABLES.items()
    ]
    for table in TABLES.values():
        cols = ", ".join(f"{name} {sql_type}" for name, sql_type in column_definitions(table))
        statements.append(f"CREATE TABLE IF NOT EXISTS {table.name} ({cols})")
    return statements + list(ADDED_COLUMNS)
