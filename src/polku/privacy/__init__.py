"""Data-subject rights on the store: erase one person, purge persons past the retention period.

The functions find every table that holds a person from the store's own catalog
(`polku.store.catalog`), so tables added later are covered too; the deletes themselves are
`polku.store.removal`. See `docs/privacy.md`.
"""

from __future__ import annotations

from polku.privacy.compact import compact
from polku.privacy.erase import Erasure, Person, erase, person_from_hetu, person_from_pseudonym
from polku.privacy.purge import Purge, cutoff_date, purge

__all__ = ["Erasure", "Person", "Purge", "compact", "cutoff_date", "erase", "person_from_hetu", "person_from_pseudonym", "purge"]
