"""The analyst's exact output: the one way past the gate, and its record.

Why a record: the gate protects people in every output; an output without it must be a
deliberate choice by someone with access to the store, and the data-protection officer
must be able to see who made it, when, and what it showed (GDPR Art. 5(2), accountability).
Until the audit table exists, each use is written to the `polku.audit` logger and kept in
`EXACT_USES` for the process; `log_exact_use` is the one call to connect to the audit table.
"""

from __future__ import annotations

import getpass
import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

EXACT_USES: list[dict[str, Any]] = []
"""Every exact output of this process, in order (what the audit table will hold)."""

_log = logging.getLogger("polku.audit")


def log_exact_use(command: str, *, store: Path | str | None = None, **details: Any) -> dict[str, Any]:
    """Record that `command` printed exact, unprotected figures (who, when, which store, what)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        user = "unknown"
    event = {"event": "exact_output", "command": command, "user": user,
             "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
             "store": None if store is None else str(store), **details}
    EXACT_USES.append(event)
    _log.warning(json.dumps(event, ensure_ascii=False, default=str))
    return event
