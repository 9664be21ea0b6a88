"""Erase one person from the store (GDPR art. 17) and keep them out of later imports.

A person is named by their identity code or by their pseudonym. Every base table with a
`person_id` column loses the person's rows (data tables, history, cached analyses: see
`polku.store.catalog`), and every quarantine table loses the rows that carry the person's pseudonym or
the keyed hash of the given code (`quarantine.code_hash`). The pseudonym then goes on the
suppression list `erased_person`: an import that meets the person again quarantines those
rows with the reason `erased` and keeps none of their values. All of it is one transaction,
followed by a checkpoint, so the deleted rows leave the write-ahead log at once (the writes
are `polku.store.removal.erase_person`).

Nothing here prints or returns the code: an `Erasure` holds the pseudonym and the counts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from polku.errors import UsageError
from polku.identity import PseudonymKey, code_hash, hetu_valid, pseudonym
from polku.store.connection import Store
from polku.store.removal import erase_person


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


def erase(store: Store, person: Person) -> Erasure:
    """Remove `person` from every table and put them on the suppression list, in one
    transaction; a checkpoint then writes the deletions into the store file.

    Erasing a person twice removes nothing more and leaves one suppression entry. A code
    that is not valid has no pseudonym: only quarantine rows (by keyed hash) are removed.
    """
    removed, listed = erase_person(store, person.pseudonym, person.code_hash, person.key_version)
    return Erasure(person.pseudonym, removed, suppressed=person.pseudonym is not None and not listed, already_suppressed=listed)
