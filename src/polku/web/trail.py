"""The web's audit rows: every person-level read, every exact view, every login and every denial.

They go through the existing audit mechanism (`polku.store.audit`): an `AuditEntry` with
`channel="web"`, appended to the store's owner-only journal, which the next writer moves into
the audit table and `polku audit` lists meanwhile. The journal, not a write connection, so
that a page view never takes the store's write lock from an import. Rows say which user, on
which route, read how many rows of which tables: never whom (as for `polku erase`, the trail
must not name a person) and never a password.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polku.redaction import redact_hetus
from polku.store import audit


def record(store_path: Path, actor: str, action: str, *, outcome: str = "ok", **data: Any) -> None:
    """Append one web audit row for `actor` (the user, or the name typed at a failed login)."""
    entry = audit.AuditEntry(
        action=action,
        arguments={},
        actor=redact_hetus(actor)[:64] or "-",
        channel="web",
        data=data,
        outcome=outcome,
    )
    audit.append_journal(store_path, entry)
