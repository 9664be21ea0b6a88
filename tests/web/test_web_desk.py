"""The own desk, the client page and its forms, on a copy of the web store (the forms write).

Checked: the desk's JSON (obligations, flags and stage as the pure rules say), "no run yet"
until an analysis run holds the seed model, then each client's chance with its interval and
the effects of their group; entering a measurement (it appears at once in the client's
chart, stored with who entered it, audited); a bad value refused with the import's rule in
the user's language; setting and updating a goal; CSRF refusal; scope (another case
worker's client 404, a role that does not enter 403); 503 for an entry while another process
writes the store, while pages still read the snapshot.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from conftest import Oracle, TestClient, csrf_of, log_in
from polku.desk import expected
from polku.groups import HIGH, LOW
from polku.pipeline.settings import AnalysisSettings
from polku.runs import layout, provenance
from polku.store import audit, open_store
from polku.web import create_app, desk_rules
from polku.web.accounts import path_for


@pytest.fixture(scope="module")
def copy(web_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the web store with its accounts (the original stays as the other tests read it)."""
    folder = tmp_path_factory.mktemp("desk") / "store"
    folder.mkdir()
    target = folder / web_store.name
    shutil.copy(web_store, target)
    shutil.copy(path_for(web_store), path_for(target))
    with open_store(target) as store:
        store.publish_snapshot()
    return target


@pytest.fixture(scope="module")
def app(copy: Path) -> Any:
    return create_app(copy)


@pytest.fixture(scope="module")
def worker(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield log_in(client, "caseworker")


def _mine(oracle: Oracle) -> str:
    return sorted(oracle.by_role["caseworker"])[0]


def test_the_desk_before_any_run(worker: TestClient, oracle: Oracle) -> None:
    desk = worker.get("/api/clients").json()
    assert desk["run"] is None
    rows = {c["id"]: c for c in desk["clients"]}
    assert set(rows) == oracle.by_role["caseworker"]
    for c in rows.values():
        assert c["chance"] is None
        assert c["flags"] == desk_rules.flags(c["stage"], c["days_since_service"], c["spell_days"], c["falling_items"])
        assert set(c["flags"]) <= set(desk_rules.FLAGS)
    with_rules = [c for c in rows.values() if c["obligations"] and c["obligations"].get("rules")]
    assert with_rules, "some clients registered under the Nordic model"
    for c in with_rules:
        o = c["obligations"]
        assert o["rules"] == "nordic_2022"
        assert o["overdue_meetings"] == sum(m["status"] == "overdue" for m in o["meetings"])
        assert o["applications_required"] == 4 * min(3, len(o["applications"]))
    page = worker.get("/clients")
    assert page.status_code == 200 and "Analyysiajoa ei ole vielä tehty" in page.text


def _publish_run(store_path: Path) -> None:
    """A run holding the seed model (fitted as `polku analyse` fits it) and hand-made effects."""
    with open_store(store_path, read_only=True) as store:
        frames = expected.compute(store, None, 0)
        services = sorted(store.con.execute("SELECT service_code FROM service").fetchdf()["service_code"])
    effects = pd.DataFrame(
        [
            {"service_code": s, "client_group": g, "provider_id": None, "method": "aipw", "outcome": "employed_12m",
             "participants": 120, "comparison": 600, "estimate": 0.05, "lower": 0.01, "upper": 0.09, "note": None}
            for s in services for g in ("high", "medium", "low")
        ]
    )  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    record = provenance.provenance(
        run_id=layout.new_run_id(now), store_path=store_path, snapshot={}, read=[], settings=AnalysisSettings(),
        started=now, finished=now,
    )  # fmt: skip
    layout.publish(store_path, record, frames | {"impact_effects": effects})


def test_the_chance_comes_from_the_run_with_its_interval(worker: TestClient, copy: Path, oracle: Oracle) -> None:
    _publish_run(copy)
    desk = worker.get("/api/clients").json()
    assert desk["run"]["model"] is True
    chances = [c["chance"] for c in desk["clients"] if c["chance"]]
    assert chances, "clients with an open registration get a chance"
    for c in chances:
        assert 0 < c["low"] <= c["chance"] <= c["high"] < 1
        assert c["group"] == ("high" if c["chance"] >= HIGH else "low" if c["chance"] < LOW else "medium")
    registered = [c for c in desk["clients"] if c["spell_days"] is not None]
    assert all(c["chance"] is not None for c in registered)
    one = next(c for c in desk["clients"] if c["chance"])
    page = worker.get(f"/api/clients/{one['id']}").json()
    mine = page["summary"]["chance"]
    assert mine["group"] == one["chance"]["group"]
    assert [mine[k] for k in ("chance", "low", "high")] == pytest.approx([one["chance"][k] for k in ("chance", "low", "high")])
    assert page["effects"] and {(e["estimate"], e["lower"], e["upper"]) for e in page["effects"]} == {(0.05, 0.01, 0.09)}
    assert all(e["client_group"] == one["chance"]["group"] for e in page["effects"])
    html = worker.get(f"/clients/{one['id']}").text
    assert 'id="effects"' in html and "Päätöksenteon tuki" in html


def _post(client: TestClient, path: str, data: dict[str, str], token: str | None = None) -> Any:
    fields = {"csrf_token": csrf_of(client.get("/me").text) if token is None else token} | data
    return client.post(path, data=fields, follow_redirects=False)


def test_entering_a_measurement_shows_it_in_the_chart_at_once(worker: TestClient, copy: Path, oracle: Oracle) -> None:
    client = _mine(oracle)
    before = len(audit.rows(copy))
    response = _post(
        worker, f"/clients/{client}/measurements", {"item": "job_search", "value": "4.5", "measured_on": "2026-03-02"}
    )
    assert response.status_code == 303 and response.headers["location"].startswith(f"/clients/{client}?entered=measurement")
    page = worker.get(f"/api/clients/{client}").json()
    chart = next(c for c in page["charts"] if c["item"] == "job_search")
    assert ["2026-03-02", 4.5] in [[d, v] for d, v in chart["points"]]
    html = worker.get(response.headers["location"]).text
    assert 'data-date="2026-03-02" data-value="4.5"' in html and 'id="saved"' in html
    con = duckdb.connect(str(copy), read_only=True)
    try:
        stored = con.execute(
            "SELECT instrument, scale_min, scale_max, recorded_by, _source, _import_id FROM measurement "
            "WHERE person_id = ? AND measured_on = DATE '2026-03-02' AND item = 'job_search'",
            [client],
        ).fetchall()
    finally:
        con.close()
    assert stored == [("client_change_meter", 1.0, 5.0, "case_worker", "web:caseworker", 0)]
    rows = [r for r in audit.rows(copy)[before:] if r["action"] == "web measurement entry"]
    assert len(rows) == 1 and rows[0]["actor"] == "caseworker" and rows[0]["outcome"] == "ok"


def test_a_bad_value_is_refused_with_the_import_rule_in_the_users_language(worker: TestClient, oracle: Oracle) -> None:
    client = _mine(oracle)
    response = _post(worker, f"/clients/{client}/measurements", {"item": "skills", "value": "4,5", "measured_on": "2026-03-03"})
    assert response.status_code == 400
    assert "Tietoja ei tallennettu" in response.text and "Arvo: ei ole luku; käytä desimaalipistettä" in response.text
    outside = _post(worker, f"/api/clients/{client}/measurements", {"item": "skills", "value": "7", "measured_on": "2026-03-03"})
    assert outside.status_code == 400
    assert outside.json()["errors"][0]["code"] == "check_value_within_scale"
    page = worker.get(f"/api/clients/{client}").json()
    assert not [m for m in page["timeline"]["measurement"] if m["measured_on"] == "2026-03-03"]


def test_setting_and_updating_a_goal(worker: TestClient, oracle: Oracle) -> None:
    client = _mine(oracle)
    data = {"domain": "skills", "baseline": "2", "target": "4", "set_on": "2026-03-01", "due": "2026-06-30", "gas_weight": "2"}
    response = _post(worker, f"/api/clients/{client}/goals", data)
    assert response.status_code == 201, response.text
    goal_id = response.json()["goal_id"]
    goals = {g["goal_id"]: g for g in worker.get(f"/api/clients/{client}").json()["timeline"]["goal"]}
    assert (goals[goal_id]["status"], goals[goal_id]["target"], goals[goal_id]["due"]) == ("open", 4.0, "2026-06-30")
    update = _post(worker, f"/clients/{client}/goals", {"goal_id": goal_id, "status": "achieved", "gas_level": "1"})
    assert update.status_code == 303
    goals = {g["goal_id"]: g for g in worker.get(f"/api/clients/{client}").json()["timeline"]["goal"]}
    assert (goals[goal_id]["status"], goals[goal_id]["gas_level"], goals[goal_id]["domain"]) == ("achieved", 1, "skills")
    again = _post(worker, f"/api/clients/{client}/goals", {"goal_id": goal_id, "status": "partly_achieved"})
    assert again.status_code == 201, again.text  # the other fields keep their stored values
    goals = {g["goal_id"]: g for g in worker.get(f"/api/clients/{client}").json()["timeline"]["goal"]}
    assert (goals[goal_id]["status"], goals[goal_id]["gas_level"], goals[goal_id]["gas_weight"]) == ("partly_achieved", 1, 2.0)
    bad = _post(worker, f"/api/clients/{client}/goals", data | {"due": "2026-02-01"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "check_due_not_before_set_on"
    imported = next(g for g in goals if not g.startswith("WG")) if len(goals) > 1 else None
    if imported is not None:
        refused = _post(worker, f"/api/clients/{client}/goals", {"goal_id": imported, "status": "achieved"})
        assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "imported_goal"


def test_csrf_scope_and_role_are_enforced(worker: TestClient, app: Any, oracle: Oracle, copy: Path) -> None:
    client = _mine(oracle)
    data = {"item": "skills", "value": "3", "measured_on": "2026-03-04"}
    assert _post(worker, f"/clients/{client}/measurements", data, token="wrong").status_code == 403
    other = sorted(oracle.all - oracle.by_role["caseworker"])[0]
    assert _post(worker, f"/clients/{other}/measurements", data, token=None).status_code == 404
    with TestClient(app) as analyst_client:
        analyst = log_in(analyst_client, "analyst")
        assert _post(analyst, f"/clients/{client}/measurements", data).status_code == 403
    refused = [r for r in audit.rows(copy) if r["action"] == "web measurement entry" and r["outcome"] == "refused"]
    assert len(refused) >= 3
    page = worker.get(f"/api/clients/{client}").json()
    assert not [m for m in page["timeline"]["measurement"] if m["measured_on"] == "2026-03-04"]


HOLDER = "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(30)"


def test_an_entry_while_another_process_writes_answers_503_and_pages_still_read(
    worker: TestClient, copy: Path, oracle: Oracle
) -> None:
    client = _mine(oracle)
    token = csrf_of(worker.get("/me").text)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(copy)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        assert worker.get(f"/api/clients/{client}").status_code == 200  # the snapshot is read, not the store
        data = {"csrf_token": token, "item": "skills", "value": "3", "measured_on": "2026-03-05"}
        response = worker.post(f"/api/clients/{client}/measurements", data=data)
        assert response.status_code == 503
        assert response.json() == {"error": "Tietoja päivitetään. Yritä hetken kuluttua uudelleen."}
    finally:
        holder.kill()
        holder.wait(timeout=30)
        assert holder.stdout is not None
        holder.stdout.close()


def test_a_provider_sees_no_contacts_applications_obligations_or_chance(app: Any, oracle: Oracle) -> None:
    """Job-search meetings and reports are conditions of benefits, which providers never see; the
    chance rests on partial work ability, also hidden from them."""
    with TestClient(app) as client:
        provider = log_in(client, "provider")
        desk = provider.get("/api/clients").json()
        assert desk["clients"] and all(c["obligations"] is None and c["chance"] is None for c in desk["clients"])
        one = sorted(oracle.by_role["provider"])[0]
        page = provider.get(f"/api/clients/{one}").json()
        assert "contact" not in page["timeline"] and "job_application" not in page["timeline"]
