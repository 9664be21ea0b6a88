"""The desk's figures against plain SQL: each client's stage, days since the last service and
latest measurement day, and a client's path row by row; and 503 while another process
writes the store."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb

from conftest import Oracle, TestClient, log_in
from polku.web import create_app
from polku.web.accounts import Accounts, User

AS_OF = "DATE '2026-03-31'"
STAGE_SQL = f"""
WITH p AS (SELECT person_id FROM person),
emp AS (SELECT DISTINCT person_id FROM employment_spell
        WHERE start_date <= {AS_OF} AND (end_date IS NULL OR end_date >= {AS_OF})),
svc AS (SELECT DISTINCT person_id FROM service_episode WHERE start_date <= {AS_OF}
        AND (end_date IS NULL OR end_date >= {AS_OF}) AND completion_status <> 'did_not_start'),
wait AS (SELECT DISTINCT person_id FROM service_episode WHERE referral_date <= {AS_OF} AND start_date > {AS_OF}),
reg AS (SELECT DISTINCT person_id FROM registration_spell
        WHERE start_date <= {AS_OF} AND (end_date IS NULL OR end_date >= {AS_OF})),
last AS (SELECT person_id, max(coalesce(end_date, {AS_OF})) AS last_end FROM service_episode
         WHERE start_date <= {AS_OF} GROUP BY 1),
meas AS (SELECT person_id, max(measured_on) AS latest FROM measurement WHERE measured_on <= {AS_OF} GROUP BY 1)
SELECT p.person_id::VARCHAR,
       CASE WHEN emp.person_id IS NOT NULL THEN 'employed' WHEN svc.person_id IS NOT NULL THEN 'in_service'
            WHEN wait.person_id IS NOT NULL THEN 'waiting' WHEN reg.person_id IS NOT NULL THEN 'registered'
            ELSE 'ended' END,
       date_diff('day', last.last_end, {AS_OF}), meas.latest::VARCHAR
FROM p LEFT JOIN emp USING (person_id) LEFT JOIN svc USING (person_id) LEFT JOIN wait USING (person_id)
LEFT JOIN reg USING (person_id) LEFT JOIN last USING (person_id) LEFT JOIN meas USING (person_id)
"""


def test_desk_figures_match_sql(as_role: Callable[[str], TestClient], web_store: Path, oracle: Oracle) -> None:
    con = duckdb.connect(str(web_store), read_only=True)
    try:
        expected = {row[0]: row[1:] for row in con.execute(STAGE_SQL).fetchall()}
    finally:
        con.close()
    desk = as_role("caseworker").get("/api/clients").json()
    assert desk["as_of"] == "2026-03-31" and desk["count"] == len(oracle.by_role["caseworker"])
    got = {c["id"]: (c["stage"], c["days_since_service"], c["latest_measured_on"]) for c in desk["clients"]}
    assert got == {pid: expected[pid] for pid in got}
    assert {stage for stage, *_ in got.values()} >= {"employed", "registered", "ended"}


def test_client_path_matches_sql(as_role: Callable[[str], TestClient], web_store: Path, oracle: Oracle) -> None:
    client_id = min(oracle.by_role["caseworker"])
    page = as_role("caseworker").get(f"/api/clients/{client_id}").json()
    listed = next(c for c in as_role("caseworker").get("/api/clients").json()["clients"] if c["id"] == client_id)
    assert page["summary"] == listed, "the client page's summary is the desk's row"
    path = page["timeline"]
    con = duckdb.connect(str(web_store), read_only=True)
    try:
        for table, key in (("service_episode", "episode_id"), ("measurement", "measurement_id"), ("goal", "goal_id"),
                           ("benefit_spell", "benefit_id"), ("employment_spell", "employment_id")):  # fmt: skip
            ids = {r[0] for r in con.execute(f"SELECT {key} FROM {table} WHERE person_id = ?", [client_id]).fetchall()}
            assert {row[key] for row in path[table]} == ids, table
            assert all("_import_id" not in row and "person_id" not in row for row in path[table])
    finally:
        con.close()


HOLDER = "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(30)"


def test_a_store_being_written_answers_503(web_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "polku.duckdb"
    shutil.copy(web_store, store)
    accounts = Accounts(tmp_path / "accounts.sqlite")
    accounts.add_user(User("liisa", "analyst"), "a long enough password")
    with TestClient(create_app(store, accounts=accounts, demo=False)) as client:
        log_in(client, "liisa", "a long enough password")
        writer = subprocess.Popen([sys.executable, "-c", HOLDER, str(store)], stdout=subprocess.PIPE, text=True)
        try:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
            response = client.get("/api/clients")
            assert response.status_code == 503
            assert response.json() == {"error": "Tietoja päivitetään. Yritä hetken kuluttua uudelleen."}
        finally:
            writer.kill()
            writer.wait(timeout=30)
            assert writer.stdout is not None
            writer.stdout.close()
        assert client.get("/api/me").status_code == 200 and client.get("/api/clients").status_code == 200
