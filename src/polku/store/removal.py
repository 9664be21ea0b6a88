"""Removing persons' rows from the store: the writes behind `polku erase` and `polku purge`.

`polku.privacy` decides who goes (one named person; everyone whose last activity is before
a cut-off) and reports what went. The deletes, the suppression list and their transactions
are DuckDB statements over the store's own catalog (`polku.store.catalog`), so they live
here, beside the connection, which only `store/` and `ingest/` use. Each is one
transaction followed by a checkpoint, so the deleted rows leave the write-ahead log at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import duckdb

from polku.store.catalog import SUPPRESSION_LIST, columns_of_type, tables_with_column
from polku.store.connection import Store
from polku.store.sql import quote

# --- one person (erasure) ----------------------------------------------------------------


def _delete(con: duckdb.DuckDBPyConnection, table: str, where: str, params: list[Any]) -> int:
    return int(con.execute(f"DELETE FROM {quote(table)} WHERE {where}", params).fetchall()[0][0])


def _quarantine_match(
    con: duckdb.DuckDBPyConnection, table: str, pseudonym: uuid.UUID | None, code_hash: uuid.UUID | None
) -> tuple[str, list[Any]]:
    """WHERE clause for a quarantine table: by pseudonym, and by keyed hash when it has one."""
    clauses, params = [], []
    if pseudonym is not None:
        clauses.append("person_pseudonym = ?")
        params.append(pseudonym)
    if code_hash is not None and table in tables_with_column(con, "code_hash"):
        clauses.append("code_hash = ?")
        params.append(code_hash)
    return " OR ".join(clauses) or "false", params


def _remove_person(con: duckdb.DuckDBPyConnection, pseudonym: uuid.UUID | None, code_hash: uuid.UUID | None) -> dict[str, int]:
    """Delete the person's rows from every table that can hold them; rows by table."""
    removed: dict[str, int] = {}
    if pseudonym is not None:
        for table in tables_with_column(con, "person_id"):
            removed[table] = _delete(con, table, "person_id = ?", [pseudonym])
    for table in tables_with_column(con, "person_pseudonym"):
        where, params = _quarantine_match(con, table, pseudonym, code_hash)
        removed[table] = removed.get(table, 0) + _delete(con, table, where, params)
    return removed


def _listed(con: duckdb.DuckDBPyConnection, pseudonym: uuid.UUID) -> bool:
    found = con.execute(f"SELECT count(*) FROM {SUPPRESSION_LIST} WHERE person_pseudonym = ?", [pseudonym]).fetchall()
    return bool(found[0][0])


def _stored_key_version(con: duckdb.DuckDBPyConnection, person_id: uuid.UUID) -> int | None:
    """The key version of the person's stored rows (read before they are deleted)."""
    for table in tables_with_column(con, "key_version"):
        row = con.execute(f"SELECT max(key_version) FROM {quote(table)} WHERE person_id = ?", [person_id]).fetchall()
        if row[0][0] is not None:
            return int(row[0][0])
    return None


def _suppress(con: duckdb.DuckDBPyConnection, pseudonym: uuid.UUID, key_version: int | None) -> None:
    """Put the pseudonym on the suppression list, with the key version it was made under."""
    version = key_version if key_version is not None else _stored_key_version(con, pseudonym)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute(f"INSERT INTO {SUPPRESSION_LIST} VALUES (?, ?, ?)", [pseudonym, version, now])


def erase_person(
    store: Store, pseudonym: uuid.UUID | None, code_hash: uuid.UUID | None = None, key_version: int | None = None
) -> tuple[dict[str, int], bool]:
    """Delete a person's rows (by pseudonym; quarantined rows also by the keyed hash of the
    code) and put the pseudonym on the suppression list, in one transaction, then
    checkpoint. Returns the rows removed by table and whether the pseudonym was listed
    already (then it is not listed again)."""
    with store.transaction() as con:
        listed = pseudonym is not None and _listed(con, pseudonym)
        if pseudonym is not None and not listed:
            _suppress(con, pseudonym, key_version)  # before the delete: the key version is read from the rows
        removed = _remove_person(con, pseudonym, code_hash)
    store.con.execute("CHECKPOINT")
    return removed, listed


# --- everyone inactive since a cut-off (retention) ----------------------------------------

ONGOING = ("registration_spell", "benefit_spell", "service_episode")
"""Tables whose row without `end_date` means the person is still a client: never purged."""

PERSONS = "_polku_purged"


def _activity_select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SELECT person_id, the row's latest date, and for a row without dates its import date."""
    dates = [quote(c) for c in columns_of_type(con, table, "DATE")]
    none = "CAST(NULL AS DATE)"
    if not dates:
        imported = none
        if "_import_id" in columns_of_type(con, table, "BIGINT"):
            imported = "(SELECT CAST(finished_at AS DATE) FROM import_log l WHERE l.import_id = t._import_id)"
        return f"SELECT person_id, {none} AS dated, {imported} AS imported FROM {quote(table)} t"
    latest = f"greatest({', '.join(dates)})"
    if table in ONGOING and '"end_date"' in dates:
        latest = f"(CASE WHEN end_date IS NULL THEN DATE '9999-12-31' ELSE {latest} END)"
    return f"SELECT person_id, {latest} AS dated, {none} AS imported FROM {quote(table)} t"


def _mark_persons(con: duckdb.DuckDBPyConnection, cutoff: dt.date) -> int:
    """CREATE the temporary table of persons whose last activity is before `cutoff`."""
    tables = tables_with_column(con, "person_id")
    if not tables:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {PERSONS} (person_id UUID)")
        return 0
    union = " UNION ALL ".join(_activity_select(con, t) for t in tables)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {PERSONS} AS SELECT person_id FROM ({union}) WHERE person_id IS NOT NULL "
        "GROUP BY person_id HAVING coalesce(max(dated), max(imported)) < ?",
        [cutoff],
    )
    return int(con.execute(f"SELECT count(*) FROM {PERSONS}").fetchall()[0][0])


def _quarantine_where(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The marked persons' rows, and rows naming nobody from imports before the cut-off."""
    where = f"person_pseudonym IN (SELECT person_id FROM {PERSONS})"
    if "import_id" in columns_of_type(con, table, "BIGINT"):
        old = "SELECT import_id FROM import_log WHERE CAST(finished_at AS DATE) < $cutoff"
        where += f" OR (person_pseudonym IS NULL AND import_id IN ({old}))"
    return where


def _delete_marked(con: duckdb.DuckDBPyConnection, cutoff: dt.date) -> dict[str, int]:
    removed: dict[str, int] = {}
    for table in tables_with_column(con, "person_id"):
        sql = f"DELETE FROM {quote(table)} WHERE person_id IN (SELECT person_id FROM {PERSONS})"
        removed[table] = int(con.execute(sql).fetchall()[0][0])
    for table in tables_with_column(con, "person_pseudonym"):
        where = _quarantine_where(con, table)
        params = {"cutoff": cutoff} if "$cutoff" in where else {}
        removed[table] = int(con.execute(f"DELETE FROM {quote(table)} WHERE {where}", params).fetchall()[0][0])
    return removed


def purge_inactive(store: Store, cutoff: dt.date, *, dry_run: bool = False) -> tuple[int, dict[str, int]]:
    """Delete every person whose last activity (`polku.privacy.purge` says how it is
    counted) is before `cutoff` from every table: one transaction, committed and
    checkpointed, or with `dry_run` rolled back after the rows were counted. Returns the
    persons and the rows removed by table."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        persons = _mark_persons(con, cutoff)
        removed = _delete_marked(con, cutoff)
        con.execute(f"DROP TABLE {PERSONS}")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("ROLLBACK" if dry_run else "COMMIT")
    if not dry_run:
        con.execute("CHECKPOINT")
    return persons, removed
