"""Erase one person from the store (GDPR art. 17) and keep them out of later imports.

A person is named by their identity code or by their pseudonym. Every base table with a
`person_id` column loses the person's rows (data tables, history, cached analyses: see
`catalog`), and every quarantine table loses the rows that carry the person's pseudonym or
the keyed hash of the given code (`quarantine.code_hash`). The pseudonym then goes on the
suppression list `erased_person`: an import that meets the person again quarantines those
rows with the reason `erased` and keeps none of their values. All of it is one transaction,
followed by a checkpoint, so the deleted rows leave the write-ahead log at once.

Nothing here prints or returns the code: an `Erasure` holds the pseudonym and the counts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import duckdb

from polku.errors import UsageError
from polku.identity import PseudonymKey, code_hash, hetu_valid, pseudonym
from polku.ingest.rules import quote
from polku.privacy.catalog import SUPPRESSION_LIST, tables_with_column
from polku.store.connection import Store


@dataclass(frozen=True)
class Person:
    """Who to erase: a pseudonym (a valid code, or given), and/or the keyed hash of a code."""

    pseudonym: uuid.UUID | None
    code_hash: uuid.UUID | None = None
    key_version: int | None = None


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed: rows by table; whether the person was newly suppressed."""

    pseudonym: uuid.UUID | None
    removed: dict[str, int] = field(default_factory=dict)
    suppressed: bool = False
    already_suppressed: bool = False

    @property
    def total(self) -> int:
        return sum(self.removed.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "pseudonym": None if self.pseudonym is None else str(self.pseudonym),
            "removed": dict(self.removed),
            "rows_removed": self.total,
            "suppressed": self.suppressed,
            "already_suppressed": self.already_suppressed,
        }

    def render(self) -> str:
        who = f"person {self.pseudonym}" if self.pseudonym else "an invalid code (quarantine only, by keyed hash)"
        lines = [f"erased {who}: {self.total:,} rows removed"]
        lines += [f"  {count:>8,}  {table}" for table, count in self.removed.items() if count]
        if not self.total:
            lines.append("  no rows found: if the person was imported, check that this is the key the imports used")
        if self.suppressed:
            lines.append("  on the suppression list: a later import quarantines this person's rows as 'erased'")
        elif self.already_suppressed:
            lines.append("  already on the suppression list")
        return "\n".join(lines)


def person_from_hetu(code: str, key: PseudonymKey) -> Person:
    """The pseudonym (when the code is valid, temporary codes included) and the keyed hash
    under which quarantine holds the code if an import rejected it."""
    text = code.strip()
    if not text:
        raise UsageError(
            "the identity code to erase is empty",
            fix="give the code with --hetu CODE (or --hetu - to read it from standard input).",
        )
    valid = hetu_valid(text, allow_temporary=True)
    return Person(pseudonym(text, key) if valid else None, code_hash(text, key), key.version)


def person_from_pseudonym(text: str) -> Person:
    """A pseudonym as printed by Polku (the UUID text of `person_id`)."""
    try:
        return Person(uuid.UUID(text.strip()))
    except ValueError:
        raise UsageError(
            "the pseudonym to erase is not a person_id",
            why="a pseudonym is written as 32 hexadecimal digits in groups 8-4-4-4-12, as Polku stores person_id.",
            fix="copy the person_id from the store, or erase by the identity code with --hetu.",
        ) from None


def _delete(con: duckdb.DuckDBPyConnection, table: str, where: str, params: list[Any]) -> int:
    return int(con.execute(f"DELETE FROM {quote(table)} WHERE {where}", params).fetchall()[0][0])


def _quarantine_match(con: duckdb.DuckDBPyConnection, table: str, person: Person) -> tuple[str, list[Any]]:
    """WHERE clause for a quarantine table: by pseudonym, and by keyed hash when it has one."""
    clauses, params = [], []
    if person.pseudonym is not None:
        clauses.append("person_pseudonym = ?")
        params.append(person.pseudonym)
    if person.code_hash is not None and table in tables_with_column(con, "code_hash"):
        clauses.append("code_hash = ?")
        params.append(person.code_hash)
    return " OR ".join(clauses) or "false", params


def remove_rows(con: duckdb.DuckDBPyConnection, person: Person) -> dict[str, int]:
    """Delete the person's rows from every table that can hold them; rows by table."""
    removed: dict[str, int] = {}
    if person.pseudonym is not None:
        for table in tables_with_column(con, "person_id"):
            removed[table] = _delete(con, table, "person_id = ?", [person.pseudonym])
    for table in tables_with_column(con, "person_pseudonym"):
        where, params = _quarantine_match(con, table, person)
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


def _suppress(con: duckdb.DuckDBPyConnection, person: Person) -> None:
    """Put the pseudonym on the suppression list, with the key version it was made under."""
    version = person.key_version if person.key_version is not None else _stored_key_version(con, person.pseudonym)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute(f"INSERT INTO {SUPPRESSION_LIST} VALUES (?, ?, ?)", [person.pseudonym, version, now])


def erase(store: Store, person: Person) -> Erasure:
    """Remove `person` from every table and put them on the suppression list, in one
    transaction; a checkpoint then writes the deletions into the store file.

    Erasing a person twice removes nothing more and leaves one suppression entry. A code
    that is not valid has no pseudonym: only quarantine rows (by keyed hash) are removed.
    """
    with store.transaction() as con:
        listed = person.pseudonym is not None and _listed(con, person.pseudonym)
        if person.pseudonym is not None and not listed:
            _suppress(con, person)  # before the delete: the key version is read from the rows
        removed = remove_rows(con, person)
    store.con.execute("CHECKPOINT")
    return Erasure(person.pseudonym, removed, suppressed=person.pseudonym is not None and not listed, already_suppressed=listed)
