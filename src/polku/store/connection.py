"""The one module that owns the store's connection.

Import writes go through the raw DuckDB connection (transactions, bulk SQL); analysis
tables are built with Ibis expressions on `Store.ibis`, so the same expressions can run on
Spark for national scale. Nothing else in Polku opens DuckDB itself.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import ibis
import ibis.expr.types as ir

from polku import settings
from polku.errors import UsageError
from polku.redaction import redact_hetus
from polku.store import audit, snapshots
from polku.store.ddl import create_statements

# ibis 12's DuckDB backend still calls `fetch_arrow_table()`, which duckdb 2.0 deprecates.
# The filter matches only that message, so every other warning still surfaces. Remove it
# once ibis calls `to_arrow_table()`. (pyproject.toml repeats it for pytest's filters.)
IBIS_DUCKDB_DEPRECATION = r"fetch_arrow_table\(\) is deprecated"
warnings.filterwarnings("ignore", message=IBIS_DUCKDB_DEPRECATION, category=DeprecationWarning)


class _OwnerOnly:
    """Umask 077 while any writable store is open, so that every file DuckDB creates beside
    the store (the `.wal`, which comes and goes with each checkpoint, and spill files under
    `.tmp`) is owner-only. DuckDB has no option for file modes; the umask is the one place.
    Counted, so that nested stores restore the caller's umask only when the last closes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._saved = 0

    def hold(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._saved = os.umask(0o077)
            self._holders += 1

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                os.umask(self._saved)


OWNER_ONLY = _OwnerOnly()


def _private(path: Path) -> None:
    """Narrow an existing store (and its `.wal`) to 0600 when this user owns it, so a store
    made before this rule, or copied in, is closed to other users on its next write.
    Windows file modes do not mean this, so nothing is changed there."""
    if os.name == "nt":
        return
    for file in (path, path.with_name(path.name + ".wal")):
        if file.exists() and file.stat().st_uid == os.getuid():
            file.chmod(0o600)


S = TypeVar("S", bound="Store")


@dataclass
class Store:
    path: Path
    con: duckdb.DuckDBPyConnection
    writable: bool = False

    @functools.cached_property
    def ibis(self) -> ibis.BaseBackend:
        """Ibis backend over the same connection (read side for analysis tables); made once,
        as making one asks DuckDB for its settings."""
        return ibis.duckdb.from_connection(self.con)

    def table(self, name: str) -> ir.Table:
        """A table of the store as an Ibis expression."""
        return self.ibis.table(name)

    @property
    def uuid_text_columns(self) -> frozenset[str]:
        """Columns the engine returns as text that are UUIDs in the store: none on DuckDB;
        Spark has no UUID type (`polku.engine.spark.SparkStore`)."""
        return frozenset()

    def shared_as(self, kind: type[S]) -> S:
        """This open store as another `Store` class on the same connection (the report's,
        which keeps each table it looks up), for code that must not touch `con` itself.
        Closing stays with this store: the other one never releases the file's owner-only mode."""
        return kind(self.path, self.con)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: commit when the block ends, roll back on any error or kill."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")
        self.changed = True

    changed = False
    """A transaction committed since the last read snapshot (`publish_snapshot`); set on the
    instance, not a dataclass field."""

    def publish_snapshot(self, *, keep: int = snapshots.KEEP) -> Path:
        """Publish what this writer committed as the newest read snapshot (`polku.store.snapshots`).

        `close` does it when a transaction committed; a long-lived writer calls it after each write."""
        path = snapshots.publish(self, keep=keep)
        self.changed = False
        return path

    def close(self) -> None:
        """Close the connection; a writer that committed publishes its read snapshot first."""
        try:
            if self.writable and self.changed:
                self.publish_snapshot()
        finally:
            self.con.close()
            if self.writable:
                self.writable = False
                OWNER_ONLY.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is not None and self.changed:
            self._publish_after_error(kind)
        self.close()

    def _publish_after_error(self, kind: type[BaseException]) -> None:
        """After an error, what was committed before it is still published (best effort: the
        error in flight is the one to report); after an interrupt, nothing more is done."""
        self.changed = False
        if issubclass(kind, Exception) and self.writable:
            with suppress(Exception):
                self.publish_snapshot()


LOCK_WAIT: ContextVar[float] = ContextVar("polku_lock_wait", default=0.0)
"""Seconds `open_store` keeps retrying a store another process has locked (`polku --wait`)."""

DUCKDB_MAGIC = b"DUCK"
"""Bytes 8-11 of every DuckDB database file (after an 8-byte checksum)."""

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
_RETRY_SECONDS = 0.2
_HOLDER_CHARS = 160


def store_target(path: Path | str | None = None) -> Path:
    """The store file `path` names, or the configured default."""
    return Path(path) if path is not None else settings.store_path()


def open_store(path: Path | str | None = None, *, read_only: bool = False, wait: float | None = None) -> Store:
    """Open (and on first use create) the store at `path`, or the configured default.

    A store another process has locked is retried for `wait` seconds (default: `LOCK_WAIT`,
    set by `polku --wait`), then refused with a message naming the holder. A writable
    store's file, `.wal` and any folder created for it are owner-only (0600 and 0700): the
    store holds person-level data."""
    target = store_target(path)
    if read_only and not target.exists():
        raise UsageError(
            f"no store at {target}",
            fix="run `polku import` or `polku demo` first, or point POLKU_STORE at an existing store.",
        )
    _check_is_store(target)
    wait = LOCK_WAIT.get() if wait is None else wait
    if read_only:
        con = _connect(target, True, wait)
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'import_log'").fetchall()[0][0]:
            con.close()
            raise UsageError(
                f"{target} is a DuckDB file but not a Polku store (it has no import_log)", fix="give the store Polku created."
            )
        audit.note_store(target)
        return Store(path=target, con=con)
    OWNER_ONLY.hold()
    try:
        con = _writable(target, wait)
    except BaseException:
        OWNER_ONLY.release()
        raise
    audit.note_store(target)
    return Store(path=target, con=con, writable=True)


def _writable(target: Path, wait: float) -> duckdb.DuckDBPyConnection:
    """A write connection (umask 077 held by the caller): the folder made, the file narrowed
    to owner-only, the tables created and the audit journal drained."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create the store's folder {target.parent}: {error.strerror}", fix="choose another --store."
        ) from None
    con = _connect(target, False, wait)
    _private(target)
    for statement in create_statements():
        con.execute(statement)
    audit.drain_journal(con, target)
    return con


def _check_is_store(target: Path) -> None:
    """Refuse a path that holds something other than a DuckDB file (an unreadable one
    included). DuckDB itself would open a CSV or Parquet file as an in-memory database,
    and an import would vanish."""
    if target.is_dir():
        raise UsageError(f"the store {target} is a folder", fix="give the store's file, e.g. polku.duckdb.")
    if target.exists() and not is_store(target):
        raise UsageError(
            f"{target} is not a Polku store (not a DuckDB database file)",
            why="--store names the DuckDB file Polku keeps its data in, not an input file.",
            fix="give the store's path (e.g. polku.duckdb), or a new path to create one.",
        )


def is_store(path: Path) -> bool:
    """True when `path` is a readable DuckDB database file."""
    try:
        with Path(path).open("rb") as handle:
            return handle.read(12)[8:12] == DUCKDB_MAGIC
    except OSError:
        return False


NO_SPILL: dict[str, str | bool | int | float | list[str]] = {"temp_directory": ""}
"""Config of a writable connection: DuckDB never writes temporary files. An import's staging
tables hold the file's raw identity codes until they are pseudonymised, and a spilled block
would leave them on disk if the process were killed; such an import fails for memory
instead (`polku.ingest.load` says how to proceed). Read-only connections see pseudonyms only."""


def _connect(target: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, retried while another process holds the lock, for up to `wait` s."""
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            return snapshots.connect_read_only(target) if read_only else duckdb.connect(str(target), config=NO_SPILL)
        except duckdb.IOException as error:
            holder = lock_holder(str(error))
            if holder is None:
                raise UsageError(
                    f"cannot open the store {target}: {str(error).splitlines()[0]}", fix="check the path and its permissions."
                ) from None
            if time.monotonic() >= deadline:
                raise StoreLocked(target, holder, wait) from None
            time.sleep(_RETRY_SECONDS)


def lock_holder(message: str) -> str | None:
    """Who holds the store, from DuckDB's lock error: "PID 123 (polku report ...)", the
    command line read from /proc where the system shows it; None when not a lock error."""
    found = _LOCK_HOLDER.search(message)
    if found is None:
        return None
    pid = found["pid"]
    try:
        command = " ".join(Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace").replace("\0", " ").split())
    except OSError:
        command = ""
    return f"PID {pid} ({redact_hetus(command or found['program'])[:_HOLDER_CHARS]})"


class StoreLocked(UsageError):
    """Another process has the store open (exit code 2: try again, or with --wait)."""

    def __init__(self, target: Path, holder: str, waited: float) -> None:
        after = f" after waiting {waited:g} s" if waited > 0 else ""
        super().__init__(
            f"the store {target} is locked by {holder}{after}",
            fix="wait for that command to finish, or retry with `polku --wait SECONDS ...`.",
        )
