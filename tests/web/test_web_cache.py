"""What the web keeps between requests (issue 16, load): `polku.store.kept.Memo` and the
per-client SQL kept per snapshot (`Scope.client_rows`), and the answers of the views of
analysis runs (`polku.web.cache`).

What must hold: a new analysis run or a new read snapshot is never answered from what was
kept before it; two users with different scopes never share a kept value; the language is
part of the key; a request that is audited is audited on every request, kept or not; a
per-client query compiled once gives exactly the rows the access layer's own query gives.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from conftest import Oracle
from polku.desk import expected
from polku.pipeline.settings import AnalysisSettings
from polku.reports import queries
from polku.runs import layout, provenance
from polku.store import audit, open_store, snapshots
from polku.store.kept import Memo, Prepared
from polku.web import cache, clients, desk
from polku.web.access import Reads, Scope
from polku.web.accounts import User
from polku.web.app import View
from polku.web.data import Snapshots, reader
from polku.web.locale import Locale

# --- the memo -----------------------------------------------------------------------------------


def test_a_value_is_computed_once_when_many_ask_at_the_same_moment() -> None:
    memo, calls = Memo(), []

    def slow() -> str:
        calls.append(1)
        time.sleep(0.05)
        return "value"

    threads = [threading.Thread(target=memo.get, args=("key", slow)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1] and memo.get("key", slow) == "value"


def test_the_memo_is_bounded_least_recently_used_first_and_keeps_no_error() -> None:
    memo = Memo(size=2)
    memo.get("a", lambda: 1)
    memo.get("b", lambda: 2)
    memo.get("a", lambda: 0)  # a is used again: b is now the oldest
    memo.get("c", lambda: 3)
    assert "a" in memo and "c" in memo and "b" not in memo and len(memo) == 2

    def fails() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError):
        memo.get("d", fails)
    assert "d" not in memo and memo.get("d", lambda: 4) == 4


# --- per snapshot and scope ---------------------------------------------------------------------


def _user(role: str, **ties: str) -> User:
    return User(role, role, **ties)


def test_two_scopes_never_share_a_kept_value_and_a_new_snapshot_starts_afresh(store_copy: Path, oracle: Oracle) -> None:
    reads = Snapshots(store_copy)
    workers = sorted(set(oracle.owner.values()))
    one, other = _user("caseworker", case_worker_id=workers[0]), _user("caseworker", case_worker_id=workers[1])
    try:
        with reads.reading() as store:
            assert Scope(one, store)._client_ids != Scope(other, store)._client_ids, "kept per scope"
            assert Scope(one, store).memo("x", lambda: "first") == "first"
            assert Scope(other, store).memo("x", lambda: "second") == "second", "another scope, another value"
            assert Scope(one, store).memo("x", lambda: "again") == "first", "kept for the same scope"
        with open_store(store_copy) as writer, writer.transaction() as con:
            con.execute("DELETE FROM goal WHERE false")  # a commit: closing publishes a new snapshot
        with reads.reading() as store:
            assert Scope(one, store).memo("x", lambda: "new snapshot") == "new snapshot"
    finally:
        reads.close()


@pytest.mark.parametrize("role", ["analyst", "teamlead", "caseworker", "provider"])
def test_a_client_s_rows_compiled_once_are_the_rows_of_the_access_layer_s_query(
    store_copy: Path, oracle: Oracle, role: str
) -> None:
    user = _demo_user(store_copy, role)
    reads = Snapshots(store_copy)
    try:
        for person in sorted(oracle.by_role[role])[:2]:
            with reads.reading() as store:
                scope = Scope(user, store)
                person_id = scope.client(person)
                for name, (start, _) in clients.TIMELINE_TABLES.items():
                    if not scope.may_see(name):
                        continue
                    table = scope.client_table(name, person_id)
                    columns = [c for c in table.columns if not c.startswith("_") and c not in ("person_id", "key_version")]
                    expected = table.select(*columns).order_by(start).execute().to_dict("records")
                    kept = scope.client_rows(name, person_id, start)
                    assert [list(r) for r in kept] == [columns] * len(kept)
                    assert _plain(kept) == _plain(expected), (role, name)
    finally:
        reads.close()


def _demo_user(store: Path, role: str) -> User:
    from polku.web.accounts import Accounts, path_for
    from polku.web.demo import create_demo_users

    accounts = Accounts(path_for(store))
    if accounts.user(role) is None:
        create_demo_users(store)
    found = accounts.user(role)
    assert found is not None
    return found


def _plain(rows: list[dict[str, Any]]) -> list[str]:
    """Rows compared as text of plain values, in a stable order (ties in the date may come in any
    order); a whole float as its integer, since pandas gives an integer column with a missing
    value (a goal's GAS level before it is scored) as floats, and DuckDB as integers and None."""
    return sorted(
        json.dumps({k: _number(clients.plain_value(v)) for k, v in r.items()}, default=str, sort_keys=True) for r in rows
    )


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def test_a_prepared_query_refuses_one_that_does_not_name_the_person(store_copy: Path) -> None:
    with open_store(store_copy, read_only=True) as store:
        goal = store.table("goal")
        with pytest.raises(ValueError, match="compare with the person"):
            Prepared.compile(store, lambda person: goal)
        sql = Prepared.compile(store, lambda person: goal.filter(goal.person_id == person)).sql
        assert "$1" in sql and "8c1f5bd6" not in sql


# --- views of analysis runs ---------------------------------------------------------------------


def _run(store: Path, run_id: str, finished: str) -> None:
    """A published run with no tables, finishing at `finished`."""
    folder = layout.folder_of(store) / run_id
    folder.mkdir(parents=True)
    record = {"run_id": run_id, "finished_at": finished, "tables": []}
    (folder / layout.RUN_FILE).write_text(json.dumps(record), encoding="utf-8")


def _ctx(store: Path, user: User, lang: str = "fi", path: str = "/area", query: str = "") -> Any:
    request = Request({"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": []})
    return SimpleNamespace(
        request=request, state=SimpleNamespace(store_path=store, register_path=None), locale=Locale(lang), user=user, audited=None
    )


def _view(calls: list[Any]) -> View:
    def handler(ctx: Any) -> dict[str, Any]:
        from polku.web import results

        run = results.latest_run(ctx.state.store_path)
        calls.append(ctx.user.username)
        if ctx.request.query_params.get("exact") == "1":
            ctx.audited = {"access": "aggregates", "exact": True}
        return {"run": None if run is None else run.run_id, "lang": ctx.locale.lang, "n": len(calls)}

    return View("cached_test", "/area", Reads.OVERVIEW, handler, "area.html", store=False)


def test_a_view_s_answer_is_kept_until_a_new_run_or_snapshot_and_per_language_and_scope(
    store_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.clear()
    calls: list[Any] = []
    view, manager = _view(calls), _user("manager")
    first = cache.view_data(view, _ctx(store_copy, manager))
    assert cache.view_data(view, _ctx(store_copy, manager)) is first and len(calls) == 1, "the same request is kept"
    assert cache.view_data(view, _ctx(store_copy, manager, "sv"))["lang"] == "sv" and len(calls) == 2, "language is in the key"
    provider = _user("provider", provider_id="P1")
    assert cache.view_data(view, _ctx(store_copy, provider))["n"] == 3, "another scope never gets the manager's answer"
    assert cache.view_data(view, _ctx(store_copy, manager, query="format=json"))["n"] == 4, "the query is in the key"
    monkeypatch.setenv("POLKU_MIN_CELL_SIZE", "60")
    assert cache.view_data(view, _ctx(store_copy, manager))["n"] == 5, "the gate's threshold is in the key"
    monkeypatch.delenv("POLKU_MIN_CELL_SIZE")

    _run(store_copy, "2026-12-07T120000Z-0000000a", "2026-12-07T12:00:00+00:00")
    assert cache.view_data(view, _ctx(store_copy, manager))["run"] == "2026-12-07T120000Z-0000000a", "a new run is read at once"
    _run(store_copy, "2026-12-07T130000Z-0000000b", "2026-12-07T13:00:00+00:00")
    assert cache.view_data(view, _ctx(store_copy, manager))["run"] == "2026-12-07T130000Z-0000000b"
    before = len(calls)
    with open_store(store_copy) as writer:
        writer.publish_snapshot()
    assert snapshots.latest(store_copy) is not None
    assert cache.view_data(view, _ctx(store_copy, manager))["n"] == before + 1, "a new snapshot is a new key"


def test_an_audited_view_is_audited_on_every_request_kept_or_not(store_copy: Path) -> None:
    cache.clear()
    calls: list[Any] = []
    view, analyst = _view(calls), _user("analyst")
    for _ in range(3):
        ctx = _ctx(store_copy, analyst, query="exact=1")
        cache.view_data(view, ctx)
        assert ctx.audited == {"access": "aggregates", "exact": True}
    assert len(calls) == 1
    ctx = _ctx(store_copy, analyst)
    cache.view_data(view, ctx)
    assert ctx.audited is None, "the gated view is not audited"


def test_exact_area_figures_and_the_desk_are_audited_on_every_request(
    as_role: Callable[[str], TestClient], web_store: Path
) -> None:
    """Through the app: the kept answer of `?exact=1` and the kept desk rows still write one audit row per request."""
    analyst, caseworker = as_role("analyst"), as_role("caseworker")  # logged in (audited) before counting
    before = len(audit.read_journal(web_store))
    for _ in range(2):
        assert analyst.get("/api/area?exact=1").status_code == 200
        assert caseworker.get("/api/clients").status_code == 200
    rows = audit.read_journal(web_store)[before:]
    assert [(r["actor"], r["action"]) for r in rows] == [
        ("analyst", "web area"),
        ("caseworker", "web clients"),
    ] * 2
    assert all('"exact": true' in str(r["data"]) for r in rows if r["actor"] == "analyst")


def test_a_kept_download_is_sent_whole_again(as_role: Callable[[str], TestClient]) -> None:
    analyst = as_role("analyst")
    first = analyst.get("/tables/area/area-municipalities.csv")
    second = analyst.get("/tables/area/area-municipalities.csv")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and len(first.content) > 100
    assert first.headers["content-disposition"] == second.headers["content-disposition"]


def _seed_model_run(store_path: Path) -> None:
    """A run holding only the desk's seed model, fitted as `polku analyse` fits it."""
    with open_store(store_path, read_only=True) as store:
        frames = expected.compute(store, None, 0)
    now = dt.datetime.now(dt.UTC)
    record = provenance.provenance(
        run_id=layout.new_run_id(now), store_path=store_path, snapshot={}, read=[], settings=AnalysisSettings(),
        started=now, finished=now,
    )  # fmt: skip
    layout.publish(store_path, record, frames)


@pytest.mark.parametrize("role", ["caseworker", "analyst"])
def test_a_client_s_chance_from_their_own_rows_is_the_one_the_desk_works_out(store_copy: Path, oracle: Oracle, role: str) -> None:
    """The client page's one-person query (`Chances.for_client` on a store opened for one request)
    against the whole scope's (the desk's, which a client page on a kept-open snapshot reads)."""
    _seed_model_run(store_copy)
    user, reads = _demo_user(store_copy, role), Snapshots(store_copy)
    chances = desk.Chances(store_copy)
    people = sorted(oracle.by_role[role])[:60]  # pseudonyms are new each session: enough to hold 3 registered
    try:
        with reader(store_copy) as one_request:
            alone_scope = Scope(user, one_request)
            as_of = queries.extraction_date(one_request)
            assert as_of is not None and chances.available and not alone_scope.keeps
            alone = {p: chances.for_client(alone_scope, alone_scope.client(p), as_of) for p in people}
        with reads.reading() as store:
            scope = Scope(user, store)
            whole = chances.for_clients(scope, people, as_of)
            assert sum(v is not None for v in alone.values()) >= 3
            for person, mine in alone.items():
                if mine is None:
                    assert person not in whole
                    continue
                assert mine["group"] == whole[person]["group"]
                got, want = [mine[k] for k in ("chance", "low", "high")], [whole[person][k] for k in ("chance", "low", "high")]
                assert got == pytest.approx(want, rel=1e-9)
            kept = chances.for_client(scope, scope.client(people[0]), as_of)
            assert kept == whole.get(people[0]), "on a kept-open snapshot a client page reads the scope's kept chance"
    finally:
        reads.close()
