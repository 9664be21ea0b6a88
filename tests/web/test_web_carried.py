"""Values the web carries from one read snapshot to the next (issue 16, load during an import).

What must hold (`polku.store.kept.carried`, `Scope.memo`, `polku.web.desk.desk`): a value is
worked out again on a snapshot where a table it read changed, its own reads and those of the
values it used (the scope's client ids) alike, and carried otherwise; two scopes never share
a carried value; a change in any column changes a table's digest, an order of rows does not;
the desk carries a client's row only when that client's inputs are the same, and every desk
request is audited, carried or not.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import shutil
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from starlette.testclient import TestClient

from conftest import Oracle, log_in
from polku.reports import queries
from polku.store import audit, open_store
from polku.store.kept import forget_carried, table_digest
from polku.web import create_app, desk, desk_views
from polku.web.access import Scope
from polku.web.accounts import Accounts, User, path_for
from polku.web.app import json_response
from polku.web.data import Snapshots, data_date, read_source


@pytest.fixture()
def copy(web_store: Path, tmp_path: Path) -> Path:
    """A copy of the web store with its accounts and one published snapshot; nothing carried yet."""
    target = tmp_path / "store" / web_store.name
    target.parent.mkdir()
    shutil.copy(web_store, target)
    shutil.copy(path_for(web_store), path_for(target))
    with open_store(target) as store:
        store.publish_snapshot()
    forget_carried()
    desk.forget()
    desk_views.forget()
    return target


@pytest.fixture()
def reads(copy: Path) -> Iterator[Snapshots]:
    found = Snapshots(copy)
    yield found
    found.close()


def _write(store_path: Path, sql: str, *params: Any) -> None:
    """One committed write; closing the writer publishes a new snapshot, as after an import."""
    before = read_source(store_path)
    with open_store(store_path) as store, store.transaction() as con:
        con.execute(sql, list(params))
    assert read_source(store_path) != before, "a new snapshot was published"


def _count(store_path: Path, sql: str, *params: Any) -> int:
    """A count straight from the newest snapshot, apart from the web's code."""
    con = duckdb.connect(str(read_source(store_path)), read_only=True)
    try:
        return int(con.execute(sql, list(params)).fetchall()[0][0])
    finally:
        con.close()


def _user(copy: Path, role: str) -> User:
    found = Accounts(path_for(copy)).user(role)
    assert found is not None
    return found


def _goals_in_scope(reads: Snapshots, user: User, calls: list[int]) -> int:
    """The number of goal rows in `user`'s scope, kept through `Scope.memo` (each compute counted)."""
    with reads.reading() as store:
        scope = Scope(user, store)

        def compute() -> int:
            calls.append(1)
            return int(scope.table("goal").count().execute())

        return scope.memo("goals", compute)


GOALS_OF_TEAM = """
SELECT count(*) FROM goal WHERE person_id IN (
    SELECT person_id FROM (
        SELECT person_id, case_worker_id, team_id,
               row_number() OVER (PARTITION BY person_id ORDER BY start_date DESC, episode_id DESC) AS n
        FROM service_episode WHERE case_worker_id IS NOT NULL
    ) l LEFT JOIN case_worker w USING (case_worker_id)
    WHERE n = 1 AND coalesce(w.team_id, l.team_id) = ?
)
"""


def test_a_value_is_carried_past_a_change_to_another_table_and_worked_out_again_after_its_own(
    copy: Path, reads: Snapshots
) -> None:
    analyst, calls = _user(copy, "analyst"), []
    first = _goals_in_scope(reads, analyst, calls)
    assert first == _count(copy, "SELECT count(*) FROM goal") > 0 and calls == [1]

    _write(copy, "UPDATE benefit_spell SET _line = _line + 1000000")  # a table the value never read
    assert _goals_in_scope(reads, analyst, calls) == first and calls == [1], "carried"

    _write(copy, "DELETE FROM goal WHERE goal_id IN (SELECT goal_id FROM goal ORDER BY goal_id LIMIT 3)")
    assert _goals_in_scope(reads, analyst, calls) == first - 3 and len(calls) == 2, "worked out again"

    _write(copy, "UPDATE goal SET _line = _line + 1 WHERE goal_id = (SELECT min(goal_id) FROM goal)")
    assert _goals_in_scope(reads, analyst, calls) == first - 3 and len(calls) == 3, "any column counts, lineage too"


def test_a_change_to_what_the_scope_s_client_ids_read_is_a_change_to_the_value(
    copy: Path, reads: Snapshots, oracle: Oracle
) -> None:
    """The value reads only `goal`, but through the team's client ids, which read the episodes
    and `case_worker`: moving a case worker out of the team must give the team's new count."""
    lead, calls = _user(copy, "teamlead"), []
    team = lead.team_id
    first = _goals_in_scope(reads, lead, calls)
    assert first == _count(copy, GOALS_OF_TEAM, team) > 0
    worker = next(w for p, w in sorted(oracle.owner.items()) if oracle.team[p] == team)
    _write(copy, "UPDATE case_worker SET team_id = 'TEAM98' WHERE case_worker_id = ?", worker)
    after = _goals_in_scope(reads, lead, calls)
    assert after == _count(copy, GOALS_OF_TEAM, team) < first and len(calls) == 2


def test_two_scopes_never_share_a_carried_value(copy: Path, reads: Snapshots, oracle: Oracle) -> None:
    workers = sorted(set(oracle.owner.values()))
    one, other = (User(f"w{i}", "caseworker", case_worker_id=w) for i, w in enumerate(workers[:2]))
    calls: list[int] = []
    firsts = [_goals_in_scope(reads, user, calls) for user in (one, other)]
    assert firsts[0] != firsts[1] and len(calls) == 2
    _write(copy, "UPDATE benefit_spell SET _line = _line + 1000000")
    assert [_goals_in_scope(reads, user, calls) for user in (one, other)] == firsts and len(calls) == 2


def test_a_value_that_noted_no_read_is_not_carried(copy: Path, reads: Snapshots) -> None:
    analyst = _user(copy, "analyst")
    with reads.reading() as store:
        assert Scope(analyst, store).memo("constant", lambda: "first") == "first"
    _write(copy, "UPDATE benefit_spell SET _line = _line + 1000000")
    with reads.reading() as store:
        assert Scope(analyst, store).memo("constant", lambda: "again") == "again"


def test_a_table_s_digest_follows_its_rows_not_their_order(copy: Path) -> None:
    with open_store(copy) as store:
        con = store.con
        con.execute("CREATE TABLE goal_reversed AS SELECT * FROM goal ORDER BY goal_id DESC")
        assert table_digest(store, "goal_reversed") == table_digest(store, "goal")
        con.execute("UPDATE goal_reversed SET domain = domain || 'x' WHERE goal_id = (SELECT min(goal_id) FROM goal)")
        assert table_digest(store, "goal_reversed") != table_digest(store, "goal")
        con.execute("DROP TABLE goal_reversed")


# --- the desk, through the app ------------------------------------------------------------------


def _counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[Any]:
    """Calls of `module.name` from now on (the first argument of each)."""
    calls: list[Any] = []
    original: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0] if args else None)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def _desk(client: TestClient) -> dict[str, dict[str, Any]]:
    answer = client.get("/api/clients")
    assert answer.status_code == 200
    return {row["id"]: row for row in answer.json()["clients"]}


def test_the_desk_is_carried_per_client_never_stale_and_audited_on_every_request(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(copy)
    with TestClient(app) as client:
        log_in(client, "caseworker")
        built = _counting(monkeypatch, desk_views, "_desk_rows")
        summaries = _counting(monkeypatch, desk, "summary")
        audited = len(_desk_audits(copy))
        first = _desk(client)
        assert len(built) == 1 and len(summaries) == len(first) > 10

        _write(copy, "UPDATE benefit_spell SET _line = _line + 1000000")  # the desk never reads it
        assert _desk(client) == first and len(built) == 1, "the whole desk carried"

        fetched = _counting(monkeypatch, desk, "_by_person")
        _write(copy, "UPDATE contact SET _line = _line + 1000000")  # as a re-export of the same contacts
        assert _desk(client) == first and len(built) == 2, "a table it reads changed: worked out again"
        assert len(summaries) == len(first) and not fetched, "the same rows in its columns: nothing fetched, no client again"

        person = next(p for p, row in sorted(first.items()) if len(row["changes"]) >= 2)
        item = first[person]["changes"][0]["item"]
        _write(copy, "UPDATE measurement SET value = value - 0.5 WHERE person_id = ? AND item = ?", person, item)
        again = _desk(client)
        assert len(built) == 3, "measurement changed: the desk is worked out again"
        assert len(fetched) == 1, "the measurements fetched again, the other tables' rows kept"
        assert len(summaries) - len(first) == 1, "only the client whose rows changed"
        assert again[person]["changes"][0]["latest"] == first[person]["changes"][0]["latest"] - 0.5
        assert {p: r for p, r in again.items() if p != person} == {p: r for p, r in first.items() if p != person}

        assert len(_desk_audits(copy)) == audited + 4, "every request audited, carried or not"


def _desk_audits(store_path: Path) -> list[dict[str, Any]]:
    return [row for row in audit.rows(store_path) if row["action"] == "web clients" and row["actor"] == "caseworker"]


def test_the_data_s_date_is_the_report_s_and_follows_a_new_snapshot(copy: Path, reads: Snapshots) -> None:
    with reads.reading() as store:
        first = data_date(store)
        assert first is not None and first == queries.extraction_date(store)
    later = first + dt.timedelta(days=9)
    _write(copy, "UPDATE contact SET contact_date = ? WHERE contact_id = (SELECT min(contact_id) FROM contact)", later)
    with reads.reading() as store:
        assert data_date(store) == later == queries.extraction_date(store)


# --- a new snapshot prepared before requests read it (`polku serve`) ------------------------------


def _prepared(app: Any, store_path: Path) -> None:
    """Wait until the server reads the newest snapshot (its preparation done)."""
    snapshots = app.state.web.snapshots
    deadline = time.monotonic() + 60
    while snapshots._current is None or snapshots._current.path != read_source(store_path) or snapshots._preparing:
        assert time.monotonic() < deadline, "the new snapshot was never adopted"
        time.sleep(0.05)


def test_prepared_a_new_snapshot_is_read_once_its_values_are_worked_out_off_the_request_path(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(copy, prepare=True)
    with TestClient(app) as client:
        log_in(client, "caseworker")
        first = _desk(client)
        person = next(p for p, row in sorted(first.items()) if len(row["changes"]) >= 2)
        page = client.get(f"/api/clients/{person}").json()
        item = first[person]["changes"][0]["item"]
        built = _counting(monkeypatch, desk_views, "_desk_rows")
        summaries = _counting(monkeypatch, desk, "summary")
        old = app.state.web.snapshots._current
        _write(copy, "UPDATE measurement SET value = value - 0.5 WHERE person_id = ? AND item = ?", person, item)

        assert _desk(client) == first, "until the new snapshot is ready, requests read the one before"
        _prepared(app, copy)
        assert len(built) == 1 and len(summaries) == 1, "the desk worked out once, by the preparation, for the one client"
        assert old.retired, "the snapshot before is let go"
        again = _desk(client)
        assert len(built) == 1, "the request found the desk ready"
        assert again[person]["changes"][0]["latest"] == first[person]["changes"][0]["latest"] - 0.5
        assert {p: r for p, r in again.items() if p != person} == {p: r for p, r in first.items() if p != person}
        later = client.get(f"/api/clients/{person}").json()
        assert later["summary"]["changes"][0]["latest"] == page["summary"]["changes"][0]["latest"] - 0.5


def test_prepared_an_entry_shows_on_the_next_page_at_once(copy: Path) -> None:
    app = create_app(copy, prepare=True)
    with TestClient(app) as client:
        log_in(client, "caseworker")
        person = sorted(_desk(client))[0]
        token = client.get("/me").text.split('name="csrf_token" value="')[1].split('"')[0]
        data = {"csrf_token": token, "item": "job_search", "value": "4.5", "measured_on": "2026-03-02"}
        assert client.post(f"/clients/{person}/measurements", data=data, follow_redirects=False).status_code == 303
        assert app.state.web.snapshots._current.path == read_source(copy), "this process reads the entry's snapshot"
        page = client.get(f"/api/clients/{person}").json()
        chart = next(c for c in page["charts"] if c["item"] == "job_search")
        assert ["2026-03-02", 4.5] in [[d, v] for d, v in chart["points"]]


def test_the_desk_s_json_kept_per_snapshot_is_the_desk(copy: Path, reads: Snapshots) -> None:
    app = create_app(copy)
    with TestClient(app) as client:
        log_in(client, "teamlead")
        whole = client.get("/api/clients").json()
        assert whole["count"] == len(whole["clients"]) > 10
        assert client.get("/api/clients").json() == whole, "the kept encoding, asked again"
        html = client.get("/clients").text
    with reads.reading() as store:
        scope = Scope(_user(copy, "teamlead"), store)
        as_of = data_date(store)
        assert as_of is not None
        rows = desk_views._desk_rows(scope, as_of, desk.Chances(copy))
    expected = json.loads(json_response({"clients": [dict(row) for row in rows]}).body)["clients"]
    assert whole["clients"] == expected and whole["as_of"] == as_of.isoformat()
    assert all(row["id"] in html for row in expected[: desk_views.PAGE_SIZE]), "the page shows the same clients"


def test_the_desk_s_json_encodes_again_only_the_rows_that_changed(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(copy)
    with TestClient(app) as client:
        log_in(client, "caseworker")
        encoded = _counting(monkeypatch, desk_views, "encode_json")
        first = _desk(client)
        assert len(encoded) == len(first), "each row encoded once"
        person = next(p for p, row in sorted(first.items()) if len(row["changes"]) >= 2)
        item = first[person]["changes"][0]["item"]
        _write(copy, "UPDATE measurement SET value = value - 0.5 WHERE person_id = ? AND item = ?", person, item)
        again = _desk(client)
        assert len(encoded) == len(first) + 1, "only the changed client's row encoded again"
        assert again[person]["changes"][0]["latest"] == first[person]["changes"][0]["latest"] - 0.5
        assert {p: r for p, r in again.items() if p != person} == {p: r for p, r in first.items() if p != person}


def _desk_on(reads: Snapshots, user: User) -> None:
    with reads.reading() as store:
        scope = Scope(user, store)
        as_of = data_date(store)
        assert as_of is not None
        scope.prepared(("desk", as_of, None), lambda s: desk_views._desk_rows(s, as_of, desk.Chances(s.store.path)))


def test_a_superseded_snapshot_and_its_values_are_freed_without_the_cycle_collector(copy: Path, reads: Snapshots) -> None:
    """What makes `gc.freeze` after each prepared snapshot safe (`polku.web.data.settle`): the
    values kept with a snapshot are freed by reference counting alone once it is let go."""
    user = _user(copy, "teamlead")
    _desk_on(reads, user)
    generation = reads._current
    assert generation is not None and len(generation.memo) > 3
    kept = [weakref.ref(generation), weakref.ref(generation.memo), *(weakref.ref(s) for s in generation._stores)]
    del generation
    gc.collect()
    gc.disable()
    try:
        _write(copy, "UPDATE goal SET _line = _line + 1000000")
        _desk_on(reads, user)
        assert all(ref() is None for ref in kept), "freed when the last request on it ended"
    finally:
        gc.enable()
