"""The web's one way into the data: a short-lived read-only connection per request.

Why short-lived: DuckDB lets one process write a store, and any process holding the file
open keeps the writer out. The server therefore never keeps a connection: each request
opens, reads and closes. Analysis runs (issue 15) publish read snapshots beside the store
(`<store>.snapshots/`), which a reader can hold while an import writes the store; the one
place to switch to them is `read_source`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from polku.errors import UsageError
from polku.store import Store, open_store
from polku.store.connection import StoreLocked

READ_WAIT = 2.0
"""Seconds a request waits for a store another process is writing, before it answers 503."""


class StoreBusy(UsageError):
    """The store is being written (an import or an analysis) and no snapshot is published yet."""


def read_source(store_path: Path) -> Path:
    """The database file a request reads: today the store itself.

    The switch to the newest read snapshot (`snapshots.latest(store_path) or store_path`, so
    the server never holds the lock an import needs) waits until entries made in the web
    publish a snapshot too: until then a snapshot can lag behind what a case worker entered."""
    return store_path


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
