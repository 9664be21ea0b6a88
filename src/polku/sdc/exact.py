"""The analyst's exact output: the one way past the gate, and its record.

Why a record: the gate protects people in every output; an output without it must be a
deliberate choice by someone with access to the store, and the data-protection officer
must be able to see who made it, when, and what it showed (GDPR Art. 5(2), accountability).
Each use is noted on the command's row of the audit table (`polku.store.audit`), which
records who, when, which store and which command; `polku audit` lists it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def log_exact_use(command: str, *, store: Path | str | None = None, **details: Any) -> None:
    """Note on the current command's audit row that `command` printed exact, unprotected
    figures (`data.exact`), with the store it read and any further details."""
    from polku.store import audit  # the store's engine only where an exact figure is printed

    audit.note(exact=True, exact_command=command, exact_store=None if store is None else str(store), **details)
