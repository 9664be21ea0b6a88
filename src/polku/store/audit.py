"""The audit trail: who read or wrote person-level data, or wrote an output, when and how.

One append-only table, `audit`, in the store (schema in `store/ddl.py`). Nothing in Polku
updates or deletes its rows, `erase` and `purge` included, so a row must never hold an
identity code or a raw value: arguments are stored with hetu-shaped text and identity
options redacted, and "which data" is a table name with row counts or the word
"aggregates". Every channel writes through `record`: the CLI once per command from
`polku.command.run` (`begin` ... `finish`), the web later once per request with `channel="web"`.

Read-only commands hold a read-only connection, which cannot insert. `finish` therefore
records after the command has closed its store, on a short write connection. When another
process holds the store past the wait, the row goes to a journal beside the store
(`<store>.audit.jsonl`, owner-only, appended under a file lock) and the next write
connection moves it into the table; `polku audit` lists both (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
import uuid
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polku.errors import UsageError
from polku.redaction import redact_hetus

if TYPE_CHECKING:
    import duckdb

    from polku.store.connection import Store

IDENTITY_OPTIONS = ("hetu", "pseudonym")
"""Options whose whole value names one person (`erase --hetu`, `--pseudonym`): stored as
`REDACTED`, whatever its shape, so the trail says that a person was erased, not whom."""
REDACTED = "<redacted>"

OUTCOMES = {0: "ok", 1: "failed", 2: "refused"}
"""Exit code -> outcome; any other code (an internal error, an interrupt) is "error"."""

ACCESS = {
    "demo": "synthetic person-level data written",
    "generate": "synthetic person-level files written",
    "import": "person-level rows written",
    "status": "aggregates",
    "report": "aggregates",
    "analyse": "person-level rows read; aggregates stored in an analysis run",
    "estimate": "person-level rows read; aggregates shown",
    "cba": "person-level rows read; aggregates shown",
    "fiscal": "person-level file read; results by person shown",
    "key": "pseudonymisation key written",
}
"""What each command touches, as stored in `data.access`; a command missing here is
recorded as touching person-level data (the cautious reading)."""

UNAUDITED = frozenset({"audit", "runs"})
"""Commands that read no person-level data and write no output: listing the trail itself,
and listing the analysis runs (their provenance, not their tables)."""

JOURNAL_SUFFIX = ".audit.jsonl"
COLUMNS = ("audit_id", "at_utc", "actor", "channel", "action", "arguments", "data", "output_path", "output_sha256", "outcome")


def os_user() -> str:
    """The OS account running the command (uid when the system has no name for it)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class AuditEntry:
    """One audit row. `at_utc` is when it happened; `data` says which rows or aggregates were touched."""

    action: str
    arguments: dict[str, Any]
    actor: str = field(default_factory=os_user)
    channel: str = "cli"
    at_utc: dt.datetime = field(default_factory=utc_now)
    data: dict[str, Any] = field(default_factory=dict)
    output_path: str | None = None
    output_sha256: str | None = None
    outcome: str = "ok"
    audit_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def values(self) -> list[Any]:
        """The row in `COLUMNS` order, JSON fields serialised and redacted."""
        row = asdict(self) | {"arguments": _json(redacted_arguments(self.arguments)), "data": _json(self.data)}
        return [row[name] for name in COLUMNS]


def _json(value: Any) -> str:
    return redact_hetus(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))


def redacted_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """Arguments safe to keep forever: identity options masked, hetu-shaped text redacted."""
    safe: dict[str, Any] = {}
    for name, value in arguments.items():
        if value is None or value == () or value is False:
            continue  # options left at "nothing" say nothing
        if any(word in name for word in IDENTITY_OPTIONS):
            safe[name] = REDACTED
        elif isinstance(value, (list, tuple)):
            safe[name] = [redact_hetus(str(v)) for v in value]
        else:
            safe[name] = value if isinstance(value, (int, float, bool)) else redact_hetus(str(value))
    return safe


def record(target: Store | Path, entry: AuditEntry) -> None:
    """Append `entry` to the audit table of `target`: an open writable Store (the web's),
    or a store's path, opened briefly for writing (journal when locked; nothing when the
    store does not exist, since nothing was read from it)."""
    from polku.store.connection import Store

    if isinstance(target, Store):
        insert(target.con, entry)
        return
    _record_at(Path(target), entry)


def insert(con: duckdb.DuckDBPyConnection, entry: AuditEntry) -> None:
    """The one INSERT into `audit`; the primary key keeps a journal row from landing twice."""
    placeholders = ", ".join("?" * len(COLUMNS))
    con.execute(f"INSERT OR IGNORE INTO audit ({', '.join(COLUMNS)}) VALUES ({placeholders})", entry.values())


def _record_at(path: Path, entry: AuditEntry) -> None:
    from polku.store.connection import LOCK_WAIT, StoreLocked, is_store, open_store

    if not is_store(path):
        return
    try:
        with open_store(path, wait=max(LOCK_WAIT.get(), 1.0)) as store:
            imports = imports_since(store.con, entry.at_utc)
            insert(store.con, replace(entry, data=entry.data | ({"imports": imports} if imports else {})))
    except StoreLocked:
        try:
            append_journal(path, entry)
        except OSError as error:
            raise UsageError(
                f"cannot append to the audit journal {journal_path(path)}: {error.strerror}",
                fix="let this account write the store's folder, or run when the store is free.",
            ) from None


def imports_since(con: duckdb.DuckDBPyConnection, since: dt.datetime) -> list[dict[str, Any]]:
    """Imports the command made: which table and source, how many rows (no values)."""
    names = ["import_id", "table_name", "source", "status", "rows_read", "rows_accepted", "rows_quarantined", "rows_replaced"]
    found = con.execute(f"SELECT {', '.join(names)} FROM import_log WHERE started_at >= ? ORDER BY import_id", [since]).fetchall()
    return [dict(zip(names, row)) for row in found]


def journal_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + JOURNAL_SUFFIX)


def append_journal(store_path: Path, entry: AuditEntry) -> None:
    """One JSON line appended, under an exclusive lock, to the owner-only journal."""
    line = json.dumps(dict(zip(COLUMNS, entry.values())), default=str) + "\n"
    fd = os.open(journal_path(store_path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(line)


def read_journal(store_path: Path) -> list[dict[str, Any]]:
    path = journal_path(store_path)
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        return [json.loads(line) for line in handle if line.strip()]


def drain_journal(con: duckdb.DuckDBPyConnection, store_path: Path) -> int:
    """Move journal rows into the table (the caller holds the store's write lock): the rows
    are read under the journal's lock, inserted in one transaction without it, and only then
    taken off the journal under the lock again, with whatever was appended meanwhile kept for
    the next writer. A crash in between leaves them in the journal, and the next drain's
    `INSERT OR IGNORE` (by `audit_id`) adds each once.

    Why the lock is not held while inserting: every page a web user reads appends a row under
    it, and an import drained a few hundred rows one autocommit at a time (2 s for 300 rows on
    the 20,000-client demo, longer at an import's lower priority), which held every such page."""
    path = journal_path(store_path)
    if not path.is_file():
        return 0
    with path.open("rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)  # an appender writes a whole line under LOCK_EX
        drained = handle.read()
    rows = [json.loads(line) for line in drained.decode("utf-8").splitlines() if line.strip()]
    if rows:
        insert = f"INSERT OR IGNORE INTO audit ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        con.execute("BEGIN TRANSACTION")
        try:
            con.executemany(insert, [[row[name] for name in COLUMNS] for row in rows])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    if drained:
        with path.open("r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            appended = handle.read()[len(drained) :]  # appenders only append: what was read is the start
            handle.seek(0)
            handle.truncate(0)
            handle.write(appended)
    return len(rows)


def rows(store_path: Path, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every audit row of the store at `store_path` (and its journal), oldest first."""
    from polku.store.connection import open_store

    with open_store(store_path, read_only=True) as store:
        found = store.con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'audit'").fetchall()[0][0]
        stored = (
            store.con.execute(f"SELECT {', '.join(COLUMNS)} FROM audit ORDER BY at_utc, audit_id").fetchall() if found else []
        )
    listed = [dict(zip(COLUMNS, row)) | {"pending": False} for row in stored]
    listed += [row | {"at_utc": dt.datetime.fromisoformat(row["at_utc"]), "pending": True} for row in read_journal(store_path)]
    chosen = [row for row in listed if since is None or row["at_utc"] >= since]
    return sorted(chosen, key=lambda row: row["at_utc"])


# The current command's audit context: what `polku.command.run` started, what the command touched.
_CURRENT: ContextVar[dict[str, Any] | None] = ContextVar("polku_audit", default=None)


def begin(action: str, arguments: dict[str, Any], default_store: Path | None) -> None:
    """Start collecting the audit facts of one CLI command (`polku.command.run`)."""
    entry = AuditEntry(action, arguments, data={"access": ACCESS.get(action, "person-level data")})
    _CURRENT.set({"entry": entry, "stores": [], "default_store": default_store, "notes": {}})


def note(**facts: Any) -> None:
    """Add facts to the current command's audit row (`data`), e.g. `note(exact=True)` when an
    analyst asks for unsuppressed figures. Outside a command (library use) it does nothing."""
    current = _CURRENT.get()
    if current is not None:
        current["notes"].update(facts)


def note_store(path: Path) -> None:
    """`open_store` says which store the command used; the row is recorded there."""
    current = _CURRENT.get()
    if current is not None and path not in current["stores"]:
        current["stores"].append(path)


def note_output(path: Path, sha256: str) -> None:
    """`outputs.write_output` says what file the command wrote."""
    current = _CURRENT.get()
    if current is not None:
        current["output"] = (str(path.resolve()), sha256)


def finish(exit_code: int) -> None:
    """Record the current command's row in every store it used (or the configured one)."""
    current = _CURRENT.get()
    _CURRENT.set(None)
    if current is None or current["entry"].action in UNAUDITED:
        return
    entry: AuditEntry = current["entry"]
    output_path, output_sha = current.get("output", (None, None))
    entry = replace(
        entry,
        data=entry.data | current["notes"],
        output_path=output_path,
        output_sha256=output_sha,
        outcome=OUTCOMES.get(exit_code, "error"),
    )
    for store_path in current["stores"] or [p for p in [current["default_store"]] if p is not None]:
        record(store_path, entry)
