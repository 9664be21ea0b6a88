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
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import ibis.expr.operations as ops
import ibis.expr.types as ir

from polku.store import snapshots
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

    def put(self, key: Hashable, value: Any) -> None:
        """Keep `value` under `key` (replacing what was kept)."""
        self._keep(key, value)

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


# --- what a value read, and values carried to the next snapshot ---------------------------------

_READING: ContextVar[tuple[set[str], ...]] = ContextVar("polku_reading", default=())
"""The read sets of the values being worked out on this thread, innermost last."""


def note_read(*names: str) -> None:
    """Record that the values being worked out read the store tables `names` (`tracking`)."""
    for found in _READING.get():
        found.update(names)


@contextmanager
def tracking() -> Iterator[set[str]]:
    """The names of the tables read (`note_read`) while the block runs, nested blocks included."""
    found: set[str] = set()
    token = _READING.set((*_READING.get(), found))
    try:
        yield found
    finally:
        _READING.reset(token)


def table_digest(store: Store, name: str) -> tuple[int, int, int]:
    """What table `name` holds, in three numbers: its rows, and the sum and the XOR of a 64-bit
    hash of each whole row (every column, lineage included), worked out by DuckDB. Equal digests
    mean the same rows (in any order), but for a chance of about 2^-64 per changed table; kept
    with the snapshot, so each table is read once per snapshot at most."""

    def digest() -> tuple[int, int, int]:
        quoted = '"' + name.replace('"', '""') + '"'
        sql = f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0), coalesce(bit_xor(hash(t)), 0) FROM {quoted} AS t"
        rows, total, xor = store.con.execute(sql).fetchall()[0]
        return int(rows), int(total), int(xor)

    memo = memo_of(store)
    return digest() if memo is None else memo.get(("table digest", name), digest)


CARRIED_SIZE = 512
"""Values carried between snapshots per process, the latest of each key (a few per user's scope),
least recently used out first."""
_CARRIED = Memo(CARRIED_SIZE)


@dataclass(frozen=True)
class Carried:
    """A value worked out from a snapshot, with the store tables it read and their digests there."""

    value: Any
    reads: frozenset[str]
    versions: tuple[tuple[str, tuple[int, int, int]], ...] = ()


def carried(store: Store, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()` kept with the snapshot (`Memo`), and carried to a newer snapshot whose tables
    the value read hold the same rows (`table_digest`), so that an import of one table does not
    make the server work out again what never read it.

    Sound when `compute` reads the store only through tables that are noted (`note_read`: the
    snapshot's `table`, `polku.web.access.Scope`, and nested values of `carried`, whose reads count as the
    outer value's) and is a function of those tables' rows and `key` alone: the same inputs then
    give the same value, and the same tables read. A value that noted no read at all is not
    carried (it may have read the store some other way). On a store opened for one request,
    `compute()`."""
    memo = memo_of(store)
    if memo is None:
        return compute()

    def on_this_snapshot() -> Carried:
        last = _CARRIED.peek(key)
        if isinstance(last, Carried) and last.versions == _versions(store, last.reads):
            return last
        with tracking() as seen:
            value = compute()
        reads = frozenset(seen)
        entry = Carried(value, reads, _versions(store, reads))
        if reads:  # a value that noted no read is kept with this snapshot only, to be safe
            _CARRIED.put(key, entry)
        return entry

    entry = memo.get(("carried", key), on_this_snapshot)
    note_read(*entry.reads)
    return entry.value


def _versions(store: Store, reads: frozenset[str]) -> tuple[tuple[str, tuple[int, int, int]], ...]:
    return tuple((name, table_digest(store, name)) for name in sorted(reads))


def forget_carried() -> None:
    """Forget every value carried between snapshots (tests)."""
    _CARRIED.clear()


PERSON = uuid.UUID("8c1f5bd6-3f0e-4b7a-9d2c-0a7e61f4c5a9")
"""The stand-in person a per-person query is compiled with, then replaced by a parameter."""


@dataclass(frozen=True)
class Prepared:
    """A per-person query compiled once: its SQL with the person as the parameter `$1`."""

    sql: str
    reads: frozenset[str] = frozenset()
    """The store tables the query reads: noted on each run (`note_read`), compiled or not."""

    @classmethod
    def compile(cls, store: Store, query: Callable[[uuid.UUID], ir.Table], *, person: bool = True) -> Prepared:
        """`query(person)` compiled with the stand-in person, which must appear in it as a
        literal (without `person`, a query of no one in particular), and no in-memory table
        (those belong to one request's cursor)."""
        with tracking() as noted:
            expr = query(PERSON)
        if expr.op().find(ops.InMemoryTable):
            raise ValueError("a prepared query may not read an in-memory table")
        reads = frozenset(noted) | {table.name for table in expr.op().find(ops.DatabaseTable)}
        sql = str(store.ibis.compile(expr))
        literal = f"'{PERSON}'"
        if person and (literal not in sql or "$1" in sql):
            raise ValueError("a prepared query must compare with the person it is given")
        return cls(sql.replace(literal, "$1") if person else sql, reads)


PREPARED_KEPT = 1024
"""Per-person queries kept per process (a dozen per scope in use)."""
_PREPARED = Memo(PREPARED_KEPT)


def schema_of(store: Store) -> str:
    """A digest of every table's columns and types: compiled SQL holds for any snapshot with the same."""
    rows = store.con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() ORDER BY table_name, column_index"
    ).fetchall()
    return hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()


RECIPES_KEPT = 256
"""Values a snapshot remembers how to work out again on the next one (a few per scope in use)."""


class Recipes:
    """How to work out again, on another snapshot, the values asked of this one (`remember`),
    in the order first asked, at most `RECIPES_KEPT`, the least recently asked out first: what
    `polku.web.data.Snapshots` works out on a new snapshot before requests move to it."""

    def __init__(self) -> None:
        self._found: OrderedDict[Hashable, Callable[[Store], Any]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: Hashable, recipe: Callable[[Store], Any]) -> None:
        with self._lock:
            if key in self._found:
                self._found.move_to_end(key)
            self._found[key] = recipe
            while len(self._found) > RECIPES_KEPT:
                self._found.popitem(last=False)

    def __iter__(self) -> Iterator[Callable[[Store], Any]]:
        with self._lock:
            return iter(list(self._found.values()))

    def __len__(self) -> int:
        with self._lock:
            return len(self._found)


def remember(store: Store, key: Hashable, recipe: Callable[[Store], Any]) -> None:
    """Note that `recipe(store)` works out the value `key` on any snapshot, so that the next
    snapshot gets it before a request asks (`Recipes`); nothing on a store opened for one request."""
    recipes = getattr(store, "recipes", None)
    if isinstance(recipes, Recipes):
        recipes.add(key, recipe)


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
    prepared = _prepared(store, key, query, person=True)
    note_read(*prepared.reads)
    cursor = store.con.execute(prepared.sql, [str(person_id)])
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def query_rows(store: Store, key: Hashable, query: Callable[[], ir.Table]) -> list[tuple[Any, ...]]:
    """The rows of `query()` as tuples, its SQL compiled once per `key` and schema as `person_rows`."""
    return query_result(store, key, query)[1]


def query_result(store: Store, key: Hashable, query: Callable[[], ir.Table]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The column names and rows (tuples of DuckDB's own Python values) of `query()`, its SQL
    compiled once per `key` and schema as `person_rows`: no pandas, and DuckDB runs it without
    holding the interpreter, so other requests go on meanwhile."""
    prepared = _prepared(store, key, lambda _: query(), person=False)
    note_read(*prepared.reads)
    cursor = store.con.execute(prepared.sql)
    return [column[0] for column in cursor.description or ()], cursor.fetchall()


def result_digest(store: Store, key: Hashable, query: Callable[[], ir.Table]) -> tuple[int, int, int]:
    """What `query_result(store, key, query)` would give, as `table_digest` gives a table's (its
    rows, and the sum and XOR of a 64-bit hash of each row), worked out by DuckDB without
    fetching a row: so a caller can tell that a result is the same as one it holds."""
    prepared = _prepared(store, key, lambda _: query(), person=False)
    note_read(*prepared.reads)
    sql = f"SELECT count(*), coalesce(sum(hash(q)::HUGEINT), 0), coalesce(bit_xor(hash(q)), 0) FROM ({prepared.sql}) AS q"
    rows, total, xor = store.con.execute(sql).fetchall()[0]
    return int(rows), int(total), int(xor)


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
    recipes: Recipes = field(default_factory=Recipes, repr=False)
    """How to work out again on the next snapshot what was asked of this one (`remember`)."""

    def table(self, name: str) -> ir.Table:
        note_read(name)
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
        self.con = snapshots.connect_read_only(path)
        self.users = 0
        self.retired = False
        self._local = threading.local()
        self._stores: list[SnapshotStore] = []
        self._lock = threading.Lock()
        self.memo = Memo()
        self.recipes = Recipes()

    def store(self) -> SnapshotStore:
        found: SnapshotStore | None = getattr(self._local, "store", None)
        if found is None:
            with self._lock:
                found = SnapshotStore(path=self.path, con=self.con.cursor(), memo=self.memo, recipes=self.recipes)
                self._stores.append(found)
            self._local.store = found
        return found

    def close(self) -> None:
        for store in self._stores:
            store.con.close()
        self.con.close()
