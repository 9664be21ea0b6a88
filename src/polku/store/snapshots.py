"""Read snapshots: copies of the store that readers open while the store is being written.

Why: DuckDB lets one process write a database file, and a process that holds the file open,
even read-only, keeps every writer out. A web server or a long analysis must not stop an
import, and an import must not stop them. So the one writer, after it commits, checkpoints
the store and copies the file to `<store>.snapshots/<n>.duckdb` (owner-only, read-only,
renamed into place so that no reader sees half a copy) and points `latest.json` at it.
Readers open the newest snapshot read-only and never touch the store's lock. The two newest
snapshots are kept, so a reader that has just opened the previous one keeps it; `erase` and
`purge` keep only the one made after the store was rewritten (docs/operations.md,
"Readers and writers"; docs/privacy.md).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from polku import settings
from polku.errors import UsageError
from polku.files import private_folders

if TYPE_CHECKING:
    from polku.store.connection import Store

SUFFIX = ".snapshots"
POINTER = "latest.json"
KEEP = 2
"""Snapshots kept after a write: the new one and the one before it, which a reader may still be opening."""
_NAME_DIGITS = 8
_OPEN_ATTEMPTS = 5


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to `path`, with DuckDB's memory limit set to
    `POLKU_READ_MEMORY_MB` (0: DuckDB's own, 80 % of the machine); past it DuckDB spills to
    `<database>.tmp` beside the file, which holds pseudonyms only. Why a limit: the comparison
    pool of a 300,000-client analysis grew DuckDB to 9 GB (docs/scale.md). Set after
    connecting rather than as connect-time config: DuckDB refuses a second connection to a
    file open in the process with another config, and readers of one snapshot meet."""
    con = duckdb.connect(str(path), read_only=True)
    limit = settings.read_memory_mb()
    if limit:
        con.execute(f"SET memory_limit = '{limit}MB'")
    return con


def folder_of(store_path: Path) -> Path:
    """Where the snapshots of the store at `store_path` live: beside it."""
    return store_path.with_name(store_path.name + SUFFIX)


def _number(path: Path) -> int | None:
    stem, suffix = path.stem, path.suffix
    return int(stem) if suffix == ".duckdb" and stem.isdigit() else None


def listed(store_path: Path) -> list[Path]:
    """The published snapshots, oldest first (partial copies start with a dot and are not listed)."""
    folder = folder_of(store_path)
    if not folder.is_dir():
        return []
    found = [(n, p) for p in folder.iterdir() if (n := _number(p)) is not None]
    return [p for _, p in sorted(found)]


def latest(store_path: Path) -> Path | None:
    """The snapshot `latest.json` points at, else the highest-numbered one; None when none is published."""
    folder = folder_of(store_path)
    try:
        pointed = folder / json.loads((folder / POINTER).read_text(encoding="utf-8"))["snapshot"]
    except (OSError, ValueError, KeyError, TypeError):
        pointed = None
    if pointed is not None and pointed.is_file():
        return pointed
    found = listed(store_path)
    return found[-1] if found else None


def publish(store: Store, *, keep: int = KEEP) -> Path:
    """Checkpoint the writable `store`, copy its file into a new snapshot, point at it, prune.

    The caller holds the store's write lock, so no other process publishes at the same time
    and the checkpointed file does not change while it is copied."""
    if not store.writable:
        raise ValueError("only the store's writer publishes snapshots")
    store.con.execute("CHECKPOINT")
    folder = folder_of(store.path)
    private_folders(folder)
    found = listed(store.path)
    name = f"{(_number(found[-1]) or 0) + 1 if found else 1:0{_NAME_DIGITS}d}.duckdb"
    partial = folder / f".{name}.{secrets.token_hex(4)}.partial"
    try:
        _copy(store.path, partial)
        os.replace(partial, folder / name)
    finally:
        partial.unlink(missing_ok=True)
    _write_pointer(folder, name)
    prune(store.path, keep=keep)
    return folder / name


def _copy(source: Path, target: Path) -> None:
    """Copy `source` to a new owner-only file `target`, flushed to disk, then made read-only."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    shutil.copyfile(source, target)  # sendfile on Linux; keeps the 0600 mode of the created file
    _fsync(target)
    target.chmod(0o400)


def _fsync(path: Path, flags: int = os.O_RDONLY) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_pointer(folder: Path, name: str) -> None:
    """`latest.json` replaced atomically, then the folder flushed so the renames survive a crash."""
    published = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    temporary = folder / f".{POINTER}.{secrets.token_hex(4)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"snapshot": name, "published_at": published}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, folder / POINTER)
    _fsync(folder)


def prune(store_path: Path, *, keep: int = KEEP) -> list[Path]:
    """Remove all but the `keep` newest snapshots, and copies a killed writer left; what was removed.

    A reader that has a removed snapshot open keeps reading it: on POSIX its bytes leave the
    disk when the last reader closes it."""
    found = listed(store_path)
    removed = found[: max(len(found) - max(keep, 1), 0)]
    folder = folder_of(store_path)
    removed += [p for p in folder.glob(".*.partial")] if folder.is_dir() else []
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def replace_all(store_path: Path) -> Path:
    """After `erase` or `purge` rewrote the store: one new snapshot of the rewritten file, and
    every older snapshot removed, since each still holds the removed rows."""
    from polku.store.connection import open_store

    with open_store(store_path) as store:
        return store.publish_snapshot(keep=1)


def describe(snapshot: Path) -> dict[str, Any]:
    """What a run's provenance says about the snapshot it read: its name and when it was published."""
    published = dt.datetime.fromtimestamp(snapshot.stat().st_mtime, dt.UTC).replace(microsecond=0)
    return {"name": snapshot.name, "published_at": published.isoformat()}


def open_snapshot(store_path: Path | str | None = None) -> Store:
    """The newest snapshot of the store, open read-only; the store's lock is never taken.

    A store with no snapshot yet (made before snapshots, or never written since) gets one
    first, which needs the store's write lock for the time of one copy (`polku --wait`)."""
    from polku.store import audit
    from polku.store.connection import Store, open_store, store_target

    target = store_target(store_path)
    if not target.exists():
        raise UsageError(f"no store at {target}", fix="run `polku import` or `polku demo` first, or give --store.")
    for _ in range(_OPEN_ATTEMPTS):
        snapshot = latest(target)
        if snapshot is None:
            with open_store(target) as store:
                snapshot = store.publish_snapshot()
        try:
            con = connect_read_only(snapshot)
        except duckdb.IOException:
            if snapshot.exists():
                raise UsageError(
                    f"cannot open the read snapshot {snapshot}",
                    fix="check its permissions, or import again to publish a new one.",
                ) from None
            continue  # pruned between the look-up and the open: take the newer one
        audit.note_store(target)
        return Store(path=snapshot, con=con)
    raise UsageError(f"the read snapshots of {target} changed while opening one", fix="try again.")
