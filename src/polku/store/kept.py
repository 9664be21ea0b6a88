"""A read snapshot kept open between requests: one read-only connection per published
snapshot, a cursor per thread, each table's Ibis object looked up once, and what is worked out
from the snapshot alone kept with it (`Memo`), so that it goes when the snapshot does.

Why: a snapshot never changes, so anything computed from it alone (a scope's client ids, a
desk's rows) stays true until a newer snapshot is published; and compiling an Ibis expression
to SQL costs several times more than DuckDB takes to run it, so a per-person query is compiled
once per schema, with the person as a parameter (`person_rows`).

Why in the store package: only `polku.store` and `polku.ingest` hold DuckDB connections
(tests/test_import_graph.py); the web's `polku.web.data.Snapshots` decides which snapshot a
request reads and when an old one closes, and uses these for the connections themselves.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import ibis.expr.operations as ops
import ibis.expr.types as ir

from polku.store.connection import Store

T = TypeVar("T")

MEMO_SIZE = 512
"""Values kept per snapshot; the least recently used goes first (a few per user's scope)."""


class Memo:
    """Values worked out from one snapshot alone, by key, shared by every thread reading it.

    Each value is computed once even when several requests ask for it at the same moment
    (the others wait for the first), and at most `size` are kept, least recently used out
    first. The caller's key must name everything the value depends on besides the snapshot."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value of `key`, computed by `compute()` when not kept (an error is not kept)."""
        found, value = self._lookup(key)
        if found:
            return value
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        try:
            with computing:
                found, value = self._lookup(key)
                if not found:
                    value = compute()
                    self._keep(key, value)
        finally:
            with self._lock:
                self._computing.pop(key, None)
        return value

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            if key not in self._values:
                return False, None
            self._values.move_to_end(key)
            return True, self._values[key]

    def _keep(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def peek(self, key: Hashable) -> Any:
        """The value kept under `key`, else None (nothing is computed)."""
        return self._lookup(key)[1]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._values

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)


PERSON = uuid.UUID("8c1f5bd6-3f0e-4b7a-9d2c-0a7e61f4c5a9")
"""The stand-in person a per-person query is compiled with, then replaced by a parameter."""


@dataclass(frozen=True)
class Prepared:
    """A per-person query compiled once: its SQL with the person as the parameter `$1`."""

    sql: str

    @classmethod
    def compile(cls, store: Store, query: Callable[[uuid.UUID], ir.Table], *, person: bool = True) -> Prepared:
        """`query(person)` compiled with the stand-in person, which must appear in it as a
        literal (without `person`, a query of no one in particular), and no in-memory table
        (those belong to one request's cursor)."""
        expr = query(PERSON)
        if expr.op().find(ops.InMemoryTable):
            raise ValueError("a prepared query may not read an in-memory table")
        sql = str(store.ibis.compile(expr))
        literal = f"'{PERSON}'"
        if person and (literal not in sql or "$1" in sql):
            raise ValueError("a prepared query must compare with the person it is given")
        return cls(sql.replace(literal, "$1") if person else sql)


PREPARED_KEPT = 1024
"""Per-person queries kept per process (a dozen per scope in use)."""
_PREPARED = Memo(PREPARED_KEPT)


def schema_of(store: Store) -> str:
    """A digest of every table's columns and types: compiled SQL holds for any snapshot with the same."""
    rows = store.con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() ORDER BY table_name, column_index"
    ).fetchall()
    return hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()


def memo_of(store: Store) -> Memo | None:
    """The memo of a kept-open snapshot's store; None for a store opened for one request."""
    memo = getattr(store, "memo", None)
    return memo if isinstance(memo, Memo) else None


def person_rows(
    store: Store, key: Hashable, person_id: uuid.UUID, query: Callable[[uuid.UUID], ir.Table]
) -> list[dict[str, Any]]:
    """The rows of `query(person_id)` as plain dicts (DuckDB's own Python values: dates,
    Decimals, UUIDs, None). On a kept-open snapshot its SQL is compiled once per `key` and
    schema (so a new snapshot of the same tables compiles nothing again); `key` must name
    everything the query depends on besides the person and the data. On another store, each time."""
    cursor = store.con.execute(_prepared(store, key, query, person=True).sql, [str(person_id)])
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def query_rows(store: Store, key: Hashable, query: Callable[[], ir.Table]) -> list[tuple[Any, ...]]:
    """The rows of `query()` as tuples, its SQL compiled once per `key` and schema as `person_rows`."""
    return store.con.execute(_prepared(store, key, lambda _: query(), person=False).sql).fetchall()


def _prepared(store: Store, key: Hashable, query: Callable[[uuid.UUID], ir.Table], *, person: bool) -> Prepared:
    memo = memo_of(store)
    compile_ = lambda: Prepared.compile(store, query, person=person)  # noqa: E731
    if memo is None:
        return compile_()
    return _PREPARED.get((memo.get("schema", lambda: schema_of(store)), person, key), compile_)


@dataclass
class SnapshotStore(Store):
    """One thread's cursor on a kept-open snapshot: each table looked up once, as a snapshot never changes."""

    _tables: dict[str, ir.Table] = field(default_factory=dict, repr=False)
    memo: Memo = field(default_factory=Memo, repr=False)
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
        self.memo = Memo()

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
