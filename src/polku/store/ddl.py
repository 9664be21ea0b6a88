"""Table definitions in SQL, derived from the schema so that the two never disagree.

Every data table carries lineage columns: which import wrote the row (`_import_id`), from
which source (`_source`, the file's name unless given) and which line (`_line`). Tables
keyed by person also keep the pseudonymisation `key_version`.

Every data table and `quarantine` has a history twin, `history_<table>`, with the same
columns: the rows of earlier versions of a source, kept for `polku import --rollback`
(`ingest/history.py`). `key_fingerprint` binds each key version to one key.
"""

from __future__ import annotations

from polku.schema.tables import TABLES, Table

LINEAGE_COLUMNS = (
    ("_import_id", "BIGINT NOT NULL"),
    ("_source", "VARCHAR NOT NULL"),
    ("_line", "BIGINT NOT NULL"),
)

META_TABLES = {
    # Append-only (store/audit.py): who, when (UTC), what, which data, which output.
    "audit": """
        audit_id VARCHAR PRIMARY KEY,
        at_utc TIMESTAMP NOT NULL,
        actor VARCHAR NOT NULL,
        channel VARCHAR NOT NULL,
        action VARCHAR NOT NULL,
        arguments VARCHAR NOT NULL,
        data VARCHAR NOT NULL,
        output_path VARCHAR,
        output_sha256 VARCHAR,
        outcome VARCHAR NOT NULL
    """,
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
        rows_added BIGINT,
        rows_removed BIGINT,
        rows_changed BIGINT,
        version_import_id BIGINT,
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
        record VARCHAR,
        person_pseudonym UUID,
        code_hash UUID
    """,
    "erased_person": """
        person_pseudonym UUID PRIMARY KEY,
        key_version INTEGER,
        erased_at TIMESTAMP NOT NULL
    """,
    "history_version": """
        table_name VARCHAR NOT NULL,
        source VARCHAR NOT NULL,
        import_id BIGINT NOT NULL,
        superseded_by BIGINT NOT NULL,
        superseded_at TIMESTAMP NOT NULL
    """,
    "key_fingerprint": """
        key_version INTEGER PRIMARY KEY,
        fingerprint VARCHAR NOT NULL,
        first_import_id BIGINT NOT NULL,
        recorded_at TIMESTAMP NOT NULL
    """,
}
"""`quarantine.person_pseudonym` / `code_hash` let `polku erase` find a person's rejected rows
(docs/privacy.md); `erased_person` is the suppression list that keeps them out of later imports;
`history_version` lists the replaced versions kept for `import --rollback`; `key_fingerprint`
binds each key version to the store."""

_QUARANTINE_ADDED = (("person_pseudonym", "UUID"), ("code_hash", "UUID"))
_GOAL_ADDED = (("gas_level", "INTEGER"), ("gas_weight", "DOUBLE"))
ADDED_COLUMNS = {
    "import_log": (
        ("rows_added", "BIGINT"),
        ("rows_removed", "BIGINT"),
        ("rows_changed", "BIGINT"),
        ("version_import_id", "BIGINT"),
        ("file_records", "BIGINT"),
    ),
    "quarantine": _QUARANTINE_ADDED,
    "history_quarantine": _QUARANTINE_ADDED,
    "goal": _GOAL_ADDED,
    "history_goal": _GOAL_ADDED,
}
"""Columns added to a table after stores were made with it (the goal's GAS level and weight
included): added to an older store when it is opened for writing, NULL in its earlier rows."""

HISTORY_PREFIX = "history_"
"""`history_<table>`: earlier versions' rows of a data table or of `quarantine`."""


def column_definitions(table: Table) -> list[tuple[str, str]]:
    """(name, SQL type) of the stored columns, lineage included."""
    columns = [(f.name, f.sql_type) for f in table.fields]
    if table.identity_field is not None:
        columns.append(("key_version", "INTEGER NOT NULL"))
    return columns + list(LINEAGE_COLUMNS)


def create_statements() -> list[str]:
    """CREATE TABLE IF NOT EXISTS for every data and meta table and their history twins."""
    statements = [f"CREATE TABLE IF NOT EXISTS {name} ({body})" for name, body in META_TABLES.items()]
    added = [
        f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {column} {sql_type}"
        for name, columns in ADDED_COLUMNS.items()
        for column, sql_type in columns
    ]
    statements.append(f"CREATE TABLE IF NOT EXISTS {HISTORY_PREFIX}quarantine ({META_TABLES['quarantine']})")
    for table in TABLES.values():
        cols = ", ".join(f"{name} {sql_type}" for name, sql_type in column_definitions(table))
        statements.append(f"CREATE TABLE IF NOT EXISTS {table.name} ({cols})")
        statements.append(f"CREATE TABLE IF NOT EXISTS {HISTORY_PREFIX}{table.name} ({cols})")
    return statements + added
