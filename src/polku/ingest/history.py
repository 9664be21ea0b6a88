"""Earlier versions of each source, kept so that a bad replacement can be undone.

A source's rows in a table (and its quarantine rows) form one version, named by the import
that wrote them (`_import_id`). When a new file replaces the source, the current version
moves to `history_<table>` and `history_quarantine`, which have the same columns as the
tables they shadow (so `person_id` is found there under its own name), and one row in
`history_version` records it. Versions form a stack per (table, source): a rollback pops
the newest one back into the tables; only the newest `POLKU_HISTORY_VERSIONS` are kept.

`changes` counts what a replacement did: rows added, removed and changed, where "changed"
means the same natural key with at least one different field value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from polku.ingest.rules import quote
from polku.schema.tables import Table
from polku.store.ddl import HISTORY_PREFIX

QUARANTINE = "quarantine"


@dataclass(frozen=True)
class Changes:
    """Rows added, removed and changed between two versions of one source."""

    added: int
    removed: int
    changed: int


@dataclass(frozen=True)
class Version:
    """One kept version: the import that wrote its rows and the entry that superseded it."""

    import_id: int
    superseded_by: int


def _version_rows(kind: str, params: dict[str, object]) -> tuple[str, dict[str, object]]:
    """SQL condition and its parameters for one version's rows in a data table (`kind` is
    the table's name) or in quarantine (`kind` is QUARANTINE)."""
    if kind == QUARANTINE:
        return "table_name = $table AND source = $source AND import_id = $version", params
    return "_source = $source AND _import_id = $version", {k: params[k] for k in ("source", "version")}


def _move(con: duckdb.DuckDBPyConnection, kind: str, origin: str, target: str, params: dict[str, object]) -> int:
    """Move the rows of one version from table `origin` to table `target`; rows moved."""
    condition, values = _version_rows(kind, params)
    con.execute(f"INSERT INTO {quote(target)} SELECT * FROM {quote(origin)} WHERE {condition}", values)
    return int(con.execute(f"DELETE FROM {quote(origin)} WHERE {condition}", values).fetchall()[0][0])


def _params(table: str, source: str, version: int) -> dict[str, object]:
    return {"table": table, "source": source, "version": version}


def _forget(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> None:
    con.execute("DELETE FROM history_version WHERE table_name = $table AND source = $source AND import_id = $version", params)


def push(con: duckdb.DuckDBPyConnection, table: str, source: str, version: int, superseded_by: int, at: dt.datetime) -> int:
    """Move the source's current version (rows and quarantine) into history; rows moved.
    `superseded_by` is the import replacing it, `at` when (UTC)."""
    params = _params(table, source, version)
    moved = _move(con, table, table, HISTORY_PREFIX + table, params)
    _move(con, QUARANTINE, QUARANTINE, HISTORY_PREFIX + QUARANTINE, params)
    con.execute(
        "INSERT INTO history_version VALUES ($table, $source, $version, $by, $at)",
        {**params, "by": superseded_by, "at": at},
    )
    return moved


def newest(con: duckdb.DuckDBPyConnection, table: str, source: str) -> Version | None:
    """The version a rollback would restore, if one is kept."""
    rows = con.execute(
        "SELECT import_id, superseded_by FROM history_version WHERE table_name = ? AND source = ? "
        "ORDER BY superseded_by DESC LIMIT 1",
        [table, source],
    ).fetchall()
    return Version(int(rows[0][0]), int(rows[0][1])) if rows else None


def pop(con: duckdb.DuckDBPyConnection, table: str, source: str, version: Version) -> int:
    """Move a kept version back into the tables (the current rows must be gone); rows restored."""
    params = _params(table, source, version.import_id)
    restored = _move(con, table, HISTORY_PREFIX + table, table, params)
    _move(con, QUARANTINE, HISTORY_PREFIX + QUARANTINE, QUARANTINE, params)
    _forget(con, params)
    return restored


def discard_current(con: duckdb.DuckDBPyConnection, table: str, source: str) -> int:
    """Delete the source's current rows and quarantine (the version a rollback undoes)."""
    deleted = con.execute(f"DELETE FROM {quote(table)} WHERE _source = ?", [source]).fetchall()[0][0]
    con.execute("DELETE FROM quarantine WHERE table_name = ? AND source = ?", [table, source])
    return int(deleted)


def prune(con: duckdb.DuckDBPyConnection, table: str, source: str, keep: int) -> None:
    """Drop the source's versions beyond the newest `keep` (rows, quarantine and entry)."""
    old = con.execute(
        "SELECT import_id FROM history_version WHERE table_name = ? AND source = ? ORDER BY superseded_by DESC OFFSET ?",
        [table, source, keep],
    ).fetchall()
    for (version,) in old:
        params = _params(table, source, int(version))
        for kind in (table, QUARANTINE):
            condition, values = _version_rows(kind, params)
            con.execute(f"DELETE FROM {quote(HISTORY_PREFIX + kind)} WHERE {condition}", values)
        _forget(con, params)


def changes(con: duckdb.DuckDBPyConnection, table: Table, old: str, new: str, source: str, versions: tuple[int, int]) -> Changes:
    """Rows added, removed and changed from version `versions[0]` in table `old` to
    `versions[1]` in table `new`, both of one source.

    With a natural key: added and removed are keys present on one side only, changed are
    keys on both sides whose fields differ (lineage columns and `key_version` are not
    compared). Without a key, rows are compared whole as multisets and a change counts as
    one removal plus one addition.
    """
    columns = ", ".join(quote(f.name) for f in table.fields)
    keyed = bool(table.key)
    sides = ", ".join(
        f"{side} AS (SELECT {columns}{f', true AS _{side}' if keyed else ''} FROM {quote(name)} "
        f"WHERE _source = $source AND _import_id = ${side})"
        for side, name in (("o", old), ("n", new))
    )
    params = {"source": source, "o": versions[0], "n": versions[1]}
    if keyed:  # one full join: each key is on one side or both (keys are required, never NULL)
        on = " AND ".join(f"n.{k} = o.{k}" for k in map(quote, table.key))
        values = [quote(f.name) for f in table.fields if f.name not in table.key]
        differs = " OR ".join(f"n.{v} IS DISTINCT FROM o.{v}" for v in values) or "false"
        sql = (
            f"WITH {sides} SELECT count(*) FILTER (o._o IS NULL), count(*) FILTER (n._n IS NULL), "
            f"count(*) FILTER (n._n AND o._o AND ({differs})) FROM n FULL OUTER JOIN o ON {on}"
        )
    else:
        sql = (
            f"WITH {sides} SELECT (SELECT count(*) FROM (FROM n EXCEPT ALL FROM o)), "
            "(SELECT count(*) FROM (FROM o EXCEPT ALL FROM n)), 0"
        )
    added, removed, changed = con.execute(sql, params).fetchall()[0]
    return Changes(int(added), int(removed), int(changed))
