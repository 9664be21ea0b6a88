"""The web's one way into the data: the newest read snapshot kept open between requests, one
short write connection per entry.

Why: DuckDB lets one process write a store, and any process holding the file open keeps the
writer out. Requests read the newest read snapshot (`<store>.snapshots/`,
`polku.store.snapshots`), a copy no writer ever touches, so the server keeps it open
(`Snapshots`): one read-only connection per published snapshot, a cursor per thread, and
each table's Ibis object looked up once; opening a connection and asking for each table's
schema cost about a fifth of a page's processor time. Every request checks which snapshot
is the newest and moves to a newer one at once; the old connection closes when its last
request ends. Before the first snapshot is published a request reads the store itself,
briefly (`reader`), never keeping it open. An entry made in the web (`writer`) opens the
store for writing for the one insert, and publishes a new snapshot when it closes, as every
writer does, so the next page shows the entry.

An import or analysis holding the store answers 503 with a clear message after a short wait
(`READ_WAIT`, `WRITE_WAIT`); a request never hangs on the lock.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis

from polku.errors import UsageError
from polku.reports import queries
from polku.schema.tables import TABLES, Table
from polku.store import Store, open_store, snapshots
from polku.store.connection import StoreLocked
from polku.store.kept import Generation, carried, query_rows

_log = logging.getLogger(__name__)

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


def data_date(store: Store) -> dt.date | None:
    """The data's own date, `polku.reports.queries.extraction_date` (the latest recorded date,
    planned dates left out): the latest of each table's, each one query compiled once per
    schema, kept with the snapshot and carried to the next while its table does not change
    (`polku.store.kept.carried`), so an import of one table reads that table alone."""

    def latest(spec: Table, columns: list[str]) -> dt.date | None:
        def query() -> ibis.Table:
            table = store.table(spec.name)
            return table.aggregate(latest=ibis.greatest(*[table[c].max().cast("date") for c in columns]))

        key = ("data date", spec.name)
        return carried(store, key, lambda: query_rows(store, key, query)[0][0])

    def compute() -> dt.date | None:
        found = []
        for spec in TABLES.values():
            columns = [f.name for f in spec.fields if f.kind == "date" and f.name not in queries.PLANNED_DATES]
            if columns and (day := latest(spec, columns)) is not None:
                found.append(day)
        return max(found, default=None)

    return carried(store, "data date", compute)


class Snapshots:
    """The newest read snapshot of one store, kept open between requests (see the module's docstring).

    With `prepare` (`polku serve`), a newly published snapshot is opened by one background
    thread, which works out on it what requests asked of the current one (`Generation.recipes`:
    the data's date, each scope's client ids, desk, chances, caseload...), mostly carried
    unchanged (`polku.store.kept.carried`); meanwhile requests keep reading the current
    snapshot, and they move to the new one when it is ready: no request waits for a new
    snapshot's values, and each is worked out once, off the request path. The data a request
    sees is then at most one preparation old (0.1-1.4 s on the 20,000-client demo); an
    entry made in the web moves this process to its snapshot at once (`adopt`), so it shows on
    the next page. Without `prepare`, every request reads the newest snapshot at once."""

    def __init__(self, store_path: Path, *, prepare: bool = False) -> None:
        self.store_path = store_path
        self.prepare = prepare
        self._current: Generation | None = None
        self._preparing: Path | None = None
        self._lock = threading.Lock()

    @contextmanager
    def reading(self) -> Iterator[Store]:
        """A read-only Store on the newest snapshot for one request (the store itself before the first)."""
        generation = self._acquire()
        if generation is None:
            with reader(self.store_path) as store:
                yield store
            return
        store = generation.store()
        store.begin_request()
        try:
            yield store
        finally:
            store.end_request()
            self._release(generation)

    def adopt(self) -> None:
        """Read the newest snapshot from the next request on, prepared or not (after an entry)."""
        generation = self._acquire(at_once=True)
        if generation is not None:
            self._release(generation)

    def _acquire(self, at_once: bool = False) -> Generation | None:
        for _ in range(_OPEN_ATTEMPTS):
            newest = snapshots.latest(self.store_path)
            if newest is None:
                return None
            with self._lock:
                current = self._current
                if current is not None and current.path != newest and self.prepare and not at_once:
                    if self._preparing is None:  # one preparation at a time; the newest then
                        self._preparing = newest
                        threading.Thread(target=self._prepare, args=(current, newest), daemon=True).start()
                elif current is None or current.path != newest:
                    try:
                        current = Generation(newest)
                    except duckdb.IOException:
                        continue  # pruned between the look-up and the open: take the newer one
                    self._retire()
                    self._current = current
                current.users += 1
                return current
        raise StoreBusy("the read snapshots changed while opening one", fix="try again.")

    def _prepare(self, current: Generation, path: Path) -> None:
        """In a thread of its own: open the snapshot at `path`, work out on it what was asked of
        `current`, then make it the one requests read (unless another took its place meanwhile)."""
        try:
            generation = Generation(path)
        except duckdb.IOException:  # pruned meanwhile: the next request prepares the newer one
            with self._lock:
                self._preparing = None
            return
        try:
            store = generation.store()
            store.begin_request()
            try:
                data_date(store)
                for recipe in current.recipes:
                    try:
                        recipe(store)
                    except Exception:  # worked out again, and raised, by the request that asks
                        _log.debug("a value could not be prepared on %s", path.name, exc_info=True)
            finally:
                store.end_request()
        except Exception:
            _log.warning("preparing the read snapshot %s failed; requests work out its values", path.name, exc_info=True)
        with self._lock:
            self._preparing = None
            adopted = self._current is current
            if adopted:
                self._retire()
                self._current = generation
            else:  # an entry adopted a snapshot meanwhile, or the server closed
                generation.close()
        if adopted:
            settle()

    def _release(self, generation: Generation) -> None:
        with self._lock:
            generation.users -= 1
            if generation.retired and generation.users == 0:
                generation.close()

    def _retire(self) -> None:
        """Called with the lock held: the current snapshot is superseded; closed now if no request reads it."""
        old = self._current
        if old is not None:
            old.retired = True
            if old.users == 0:
                old.close()

    def close(self) -> None:
        """Close the kept-open snapshot (the server's shutdown; tests)."""
        with self._lock:
            self._retire()
            self._current = None


_OPEN_ATTEMPTS = 5


def settle() -> None:
    """Collect what is garbage now, then leave every object alive out of later full collections
    (`gc.freeze`): at the server's start (`polku.web.serve`: some 140,000 modules, functions and
    classes) and after each prepared snapshot. Why: each full collection holds every request while it goes through every
    object the server keeps (the desks of 20,000 clients: 0.2-0.4 s a time, about once per
    snapshot while an import ran); after a freeze, a collection goes through the objects made
    since, so this one and the next are short. What the kept values of a superseded snapshot
    hold is still freed: a retired snapshot, its values and their rows hold no reference
    cycle, so reference counting frees them when its last request ends (tests/web/test_web_carried.py)."""
    gc.collect()
    gc.freeze()
