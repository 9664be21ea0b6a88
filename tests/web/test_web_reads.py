"""The web's reads kept open between requests (`polku.web.data.Snapshots`), and the client page's
figures computed from the rows it reads once (`clients.client_row`, `desk.rows_from_timeline`).

What must hold: a request reads the newest published snapshot at once (an entry or an import
shows on the next page), an old snapshot's connection closes when its last request ends, each
thread has its own cursor, nothing a request registers stays behind on the kept cursor, and
the page's figures from its rows equal those of the queries they replace.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from pathlib import Path

import duckdb
import pytest

from conftest import Oracle
from polku.reports import queries
from polku.store import Store, open_store, snapshots
from polku.store.kept import SnapshotStore
from polku.web import clients, desk
from polku.web.access import Scope
from polku.web.accounts import Accounts, User, path_for
from polku.web.data import Snapshots, reader


def _goals(store: object) -> int:
    assert isinstance(store, SnapshotStore)
    return int(store.table("goal").count().execute())


def test_a_new_snapshot_is_read_at_once_and_the_old_one_closes_after_its_last_request(store_copy: Path) -> None:
    reads = Snapshots(store_copy)
    try:
        with reads.reading() as first:
            assert first.path == snapshots.latest(store_copy)
            before = _goals(first)
            assert before > 0
            with open_store(store_copy) as writer, writer.transaction() as con:
                con.execute("DELETE FROM goal")  # closing the writer publishes a new snapshot
            with reads.reading() as second:
                assert second.path == snapshots.latest(store_copy) != first.path
                assert _goals(second) == 0  # the next request sees the write at once
            assert _goals(first) == before  # a request still reading the old snapshot keeps it
        with pytest.raises(duckdb.ConnectionException):
            first.con.execute("SELECT 1")  # closed when its last request ended
    finally:
        reads.close()


def test_one_cursor_per_thread_kept_between_requests(store_copy: Path) -> None:
    reads = Snapshots(store_copy)
    seen: list[object] = []

    def read() -> None:
        with reads.reading() as store:
            seen.append(store)
            _goals(store)

    try:
        with reads.reading() as here:
            tables = here.table("goal")
        with reads.reading() as again:
            assert again is here and again.table("goal") is tables  # the same cursor and table object
        worker = threading.Thread(target=read)
        worker.start()
        worker.join()
        assert len(seen) == 1 and seen[0] is not here
        assert isinstance(seen[0], SnapshotStore) and seen[0].con is not here.con
    finally:
        reads.close()


def _user(web_store: Path, role: str) -> User:
    user = Accounts(path_for(web_store)).user(role)
    assert user is not None
    return user


def _memtable_views(store: Store) -> int:
    # fetchone leaves the result half-read, as a handler might: the next request must still work
    found = store.con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name LIKE 'ibis%memtable%'").fetchone()
    return int(found[0]) if found else 0


def test_a_narrowed_scope_leaves_nothing_on_the_kept_cursor(web_store: Path, store_copy: Path) -> None:
    worker = _user(web_store, "caseworker")
    reads = Snapshots(store_copy)
    try:
        for _ in range(2):
            with reads.reading() as store:
                scope = Scope(worker, store)
                assert int(scope.table("goal").count().execute()) > 0  # through the client ids' in-memory table
                assert _memtable_views(store) == 1
            assert isinstance(store, SnapshotStore)
            assert not list(store.ibis._memtables) and _memtable_views(store) == 0
    finally:
        reads.close()


def test_before_any_snapshot_a_request_reads_the_store_and_lets_it_go(store_copy: Path) -> None:
    shutil.rmtree(snapshots.folder_of(store_copy))
    reads = Snapshots(store_copy)
    with reads.reading() as store:
        assert store.path == store_copy
    with open_store(store_copy):  # the store is not held: a writer opens it at once
        pass


@pytest.mark.parametrize("role", ["caseworker", "teamlead", "provider", "analyst"])
def test_the_client_page_figures_from_its_rows_equal_the_queries(web_store: Path, oracle: Oracle, role: str) -> None:
    with reader(web_store) as store:
        scope = Scope(_user(web_store, role), store)
        as_of = queries.extraction_date(store)
        assert as_of is not None
        for client in sorted(oracle.by_role[role])[:12]:
            person_id = scope.client(client)
            path = clients.timeline(scope, person_id)
            assert clients.client_row(scope, path, as_of, person_id) == clients.client_list(scope, as_of, person_id)[0]
            gathered = desk.gather(lambda name, pid=person_id: scope.client_table(name, pid), as_of)
            assert desk.rows_from_timeline(path, as_of) == {name: rows.get(client, []) for name, rows in gathered.items()}


def test_the_figures_cover_every_stage(web_store: Path, oracle: Oracle) -> None:
    """The comparison above means something only if the clients compared reach several stages."""
    with reader(web_store) as store:
        scope = Scope(_user(web_store, "analyst"), store)
        as_of = queries.extraction_date(store)
        assert as_of is not None
        stages = set()
        for client in sorted(oracle.all)[:60]:
            person_id = uuid.UUID(client)
            scope.client(client)
            stages.add(clients.client_row(scope, clients.timeline(scope, person_id), as_of, person_id)["stage"])
    assert len(stages) >= 3, stages


def test_each_worker_of_serve_serves_the_store_it_was_given(web_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from polku.web import serve

    monkeypatch.setenv(serve.STORE_VARIABLE, str(web_store))
    app = serve.app_from_environment()
    assert app.state.web.store_path == web_store and app.state.web.demo


def test_a_scopes_client_ids_are_worked_out_once_per_snapshot(
    web_store: Path, store_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from polku.web import access

    worker = _user(web_store, "caseworker")
    asked: list[int] = []
    run = access.query_rows

    def counted(*args: object) -> object:
        asked.append(1)
        return run(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(access, "query_rows", counted)
    reads = Snapshots(store_copy)
    try:
        for _ in range(2):
            with reads.reading() as store:
                mine = Scope(worker, store).clients().count().execute()
        assert len(asked) == 1 and mine > 0  # the second request reused the ids of the same snapshot
        with open_store(store_copy) as writer, writer.transaction() as con:
            con.execute("UPDATE service_episode SET case_worker_id = NULL WHERE case_worker_id = ?", [worker.case_worker_id])
        with reads.reading() as store:
            assert Scope(worker, store).clients().count().execute() == 0  # a new snapshot: worked out again
        assert len(asked) == 2
    finally:
        reads.close()
