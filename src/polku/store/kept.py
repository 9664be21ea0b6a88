"""A read snapshot kept open between requests: one read-only connection per published
snapshot, a cursor per thread, each table's Ibis object looked up once.

Why in the store package: only `polku.store` and `polku.ingest` hold DuckDB connections
(tests/test_import_graph.py); the web's `polku.web.data.Snapshots` decides which snapshot a
request reads and when an old one closes, and uses these for the connections themselves.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis.expr.types as ir

from polku.store.connection import Store


@dataclass
class SnapshotStore(Store):
    """One thread's cursor on a kept-open snapshot: each table looked up once, as a snapshot never changes."""

    _tables: dict[str, ir.Table] = field(default_factory=dict, repr=False)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)
    """What is worked out from this snapshot alone, shared by every thread reading it (a scope's
    client ids, `polku.web.access`); it goes when the snapshot is superseded."""

    def table(self, name: str) -> ir.Table:
        if name not in self._tables:
            self._tables[name] = self.ibis.table(name)
        return self._tables[name]

    def begin_request(self) -> None:
        """Cancel whatever an earlier request left half-read on this thread's cursor."""
        self.con.abort()

    def end_request(self) -> None:
        """Leave the kept cursor as a new one: a result left half-read cancelled, and the in-memory
        tables (a scope's client ids) the request registered dropped, which Ibis does only when
        the process exits, so that on a cursor kept open they would pile up."""
        self.con.abort()
        backend = self.__dict__.get("ibis")
        if backend is None:
            return
        for memtable in list(backend._memtables):
            self.con.unregister(memtable.name)
        backend._memtables.clear()


class Generation:
    """One published snapshot, open read-only: a cursor (and its `SnapshotStore`) per thread.

    DuckDB's connection objects are not for concurrent use, its cursors are: each thread of
    the server's pool gets its own the first time it reads this snapshot."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con = duckdb.connect(str(path), read_only=True)
        self.users = 0
        self.retired = False
        self._local = threading.local()
        self._stores: list[SnapshotStore] = []
        self._lock = threading.Lock()
        self.memo: dict[Any, Any] = {}

    def store(self) -> SnapshotStore:
        found: SnapshotStore | None = getattr(self._local, "store", None)
        if found is None:
            with self._lock:
                found = SnapshotStore(path=self.path, con=self.con.cursor(), memo=self.memo)
                self._stores.append(found)
            self._local.store = found
        return found

    def close(self) -> None:
        for store in self._stores:
            store.con.close()
        self.con.close()
