"""The web's one way into the data: a short read-only connection per request, one short write
connection per entry.

Why short-lived: DuckDB lets one process write a store, and any process holding the file
open keeps the writer out. Requests read the newest read snapshot (`<store>.snapshots/`,
`polku.store.snapshots`) when one is published, so a page never takes the lock an import
needs, and fall back to the store itself before the first snapshot. An entry made in the web
(`writer`) opens the store for writing for the one insert, and publishes a new snapshot when
it closes, as every writer does, so the next page shows the entry.

An import or analysis holding the store answers 503 with a clear message after a short wait
(`READ_WAIT`, `WRITE_WAIT`); a request never hangs on the lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from polku.errors import UsageError
from polku.store import Store, open_store, snapshots
from polku.store.connection import StoreLocked

READ_WAIT = 2.0
"""Seconds a request waits for a store another process is writing, before it answers 503."""
WRITE_WAIT = 3.0
"""Seconds an entry waits for the write lock (an import, an analysis's snapshot, another entry)."""


class StoreBusy(UsageError):
    """The store is being written (an import or an analysis) and cannot be read or written now."""


def read_source(store_path: Path) -> Path:
    """The database file a request reads: the newest read snapshot, else the store itself."""
    return snapshots.latest(store_path) or store_path


@contextmanager
def reader(store_path: Path) -> Iterator[Store]:
    """A read-only Store for one request, closed when the block ends."""
    try:
        store = open_store(read_source(store_path), read_only=True, wait=READ_WAIT)
    except StoreLocked as error:
        raise StoreBusy(error.what, fix="try again when the import or analysis has finished.") from None
    try:
        yield store
    finally:
        store.close()


@contextmanager
def writer(store_path: Path) -> Iterator[Store]:
    """The store opened for writing for one entry; closing it publishes the new read snapshot."""
    try:
        store = open_store(store_path, wait=WRITE_WAIT)
    except StoreLocked as error:
        raise StoreBusy(error.what, fix="an import or analysis is writing the store: try again in a moment.") from None
    with store:
        yield store
