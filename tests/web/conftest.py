"""One small synthetic demo store for the web tests (built once per session), its demo users,
logged-in test clients per role, and the expected scopes worked out in plain SQL.

The synthetic area of 1,000 clients has one team; the case worker with the fewest clients is
moved to a second team after the import (as when an organisation changes), so that a team
lead has someone outside their team. The imports are untouched, so it stays a demo store.
"""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from polku.identity import create_key_file
from polku.ingest import import_folder
from polku.store import open_store
from polku.store.kept import forget_carried
from polku.synth import generate
from polku.web import create_app
from polku.web.accounts import Accounts, path_for
from polku.web.demo import DEMO_PASSWORD, create_demo_users
from synthetic_areas import built_once, copy_folder

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2, which the lock file does not hold; httpx works the same here.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

CLIENTS = 1000
SEED = 23
OTHER_TEAM = "TEAM99"
ROLES = ("admin", "analyst", "manager", "teamlead", "caseworker", "provider")

RESPONSIBLE_SQL = """
WITH latest AS (
    SELECT person_id, case_worker_id, team_id FROM service_episode WHERE case_worker_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY start_date DESC, episode_id DESC) = 1
)
SELECT l.person_id::VARCHAR AS id, l.case_worker_id, coalesce(w.team_id, l.team_id) AS team_id
FROM latest l LEFT JOIN case_worker w USING (case_worker_id)
"""


def _move_smallest_case_worker(store_path: Path) -> None:
    with open_store(store_path) as store:
        con = store.con
        (worker,) = con.execute(
            "SELECT case_worker_id FROM service_episode WHERE case_worker_id IS NOT NULL "
            "GROUP BY 1 ORDER BY count(DISTINCT person_id), 1 LIMIT 1"
        ).fetchone()
        con.execute("INSERT INTO team SELECT ?, area_id, 'Tiimi 99', _import_id, _source, 0 FROM team LIMIT 1", [OTHER_TEAM])
        con.execute("UPDATE case_worker SET team_id = ? WHERE case_worker_id = ?", [OTHER_TEAM, worker])
        store.publish_snapshot()  # the web reads the newest snapshot, as after any writer


def _build_web_store(root: Path) -> None:
    generate(clients=CLIENTS, seed=SEED, out_dir=root / "synthetic")
    key = create_key_file(root / "secrets" / "pseudonym.key")
    store_path = root / "store" / "polku.duckdb"
    with open_store(store_path) as store:
        import_folder(store, root / "synthetic", key=key)
    _move_smallest_case_worker(store_path)
    create_demo_users(store_path)


@pytest.fixture(scope="session")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store of 1,000 synthetic clients in two teams, with the six demo users (built
    once per test run; this worker's copy, beside its synthetic files and key)."""
    return copy_folder(built_once(tmp_path_factory, "web", _build_web_store), tmp_path_factory, "web") / "store" / "polku.duckdb"


@pytest.fixture()
def store_copy(web_store: Path, tmp_path: Path) -> Path:
    """A copy of the web store's file for a test that writes to it, with one published snapshot
    of its own and no run; the original stays as other tests read it."""
    target = tmp_path / "store" / web_store.name
    target.parent.mkdir()
    shutil.copy(web_store, target)
    with open_store(target) as store:
        store.publish_snapshot()
    forget_carried()  # the same rows as another test's copy would carry its values (rightly, but not what is tested)
    return target


@dataclass(frozen=True)
class Oracle:
    """Who may see which client, worked out in SQL apart from the access layer."""

    all: frozenset[str]
    by_role: dict[str, frozenset[str]]
    owner: dict[str, str]
    team: dict[str, str]


@pytest.fixture(scope="session")
def oracle(web_store: Path) -> Oracle:
    accounts = Accounts(path_for(web_store))
    users = {role: accounts.user(role) for role in ROLES}
    con = duckdb.connect(str(web_store), read_only=True)
    try:
        everyone = frozenset(r[0] for r in con.execute("SELECT person_id::VARCHAR FROM person").fetchall())
        responsible = con.execute(RESPONSIBLE_SQL).fetchall()
        provider = users["provider"].provider_id  # type: ignore[union-attr]
        referred = frozenset(
            r[0]
            for r in con.execute(
                "SELECT DISTINCT person_id::VARCHAR FROM service_episode WHERE provider_id = ?", [provider]
            ).fetchall()
        )
    finally:
        con.close()
    owner = {pid: worker for pid, worker, _ in responsible}
    team = {pid: team for pid, _, team in responsible}
    worker, team_id = users["caseworker"].case_worker_id, users["teamlead"].team_id  # type: ignore[union-attr]
    by_role = {
        "analyst": everyone,
        "caseworker": frozenset(p for p, w in owner.items() if w == worker),
        "teamlead": frozenset(p for p, t in team.items() if t == team_id),
        "provider": referred,
        "admin": frozenset(),
        "manager": frozenset(),
    }
    return Oracle(everyone, by_role, owner, team)


# --- views (issue 16): an analysis run of the web store, so that the area pages have one ---

FAST_SECTIONS = (
    *("area", "clients", "benefits", "services", "providers", "employment", "progress", "change", "quality"),
    *("groups", "menu", "change_effects", "equality", "payments", "national"),
)
"""The sections the test run computes; the impact and cost-benefit fits (minutes) are left out,
and `impact_effects` is a hand-made table of known figures instead (`effects_table`)."""
SERVICE = "COACH"


def effects_table(provider: str) -> pd.DataFrame:
    """A hand-made `impact_effects`: the service over the area, the demo provider (known figures),
    and another provider with 4 participants (a small cell the gate hides)."""
    return pd.DataFrame(
        {
            "service_code": [SERVICE] * 3,
            "client_group": [None] * 3,
            "provider_id": [None, provider, "P-SMALL"],
            "method": ["aipw"] * 3,
            "outcome": ["employed_12m"] * 3,
            "participants": [120, 80, 4],
            "comparison": [480, 480, 480],
            "n_trimmed": [0, 0, 0],
            "estimate": [0.081, 0.104, 0.3],
            "lower": [0.021, 0.020, -0.4],
            "upper": [0.141, 0.188, 1.0],
        }
    )


@pytest.fixture(scope="session")
def web_run(web_store: Path) -> Path:
    """One published analysis run of the web store: the fast sections' real tables and the
    hand-made effects; the run's folder."""
    from polku.pipeline.settings import AnalysisContext, AnalysisSettings
    from polku.reports import header
    from polku.reports.compute import ReportStore
    from polku.reports.registry import sections
    from polku.runs import layout, provenance
    from polku.store.connection import store_target
    from polku.store.snapshots import open_snapshot

    analysis = AnalysisContext(AnalysisSettings())
    with open_snapshot(store_target(web_store)) as snapshot:
        store = snapshot.shared_as(ReportStore)
        frames = header.compute_header(store)
        for section in sections():
            if section.id in FAST_SECTIONS:
                frames |= section.compute(store, analysis)
    frames["impact_effects"] = effects_table(Accounts(path_for(web_store)).user("provider").provider_id)  # type: ignore[union-attr,arg-type]
    now = provenance.utc_now()
    record = {"format": layout.FORMAT, "run_id": layout.new_run_id(now), "store": str(web_store), "seed": 0}
    record |= {"settings": AnalysisSettings().to_dict(), "started_at": now.isoformat(), "finished_at": now.isoformat()}
    record |= {"polku_version": "test", "git_commit": None, "user": "test", "imports": [], "parameters": {}, "snapshot": {}}
    return layout.publish(web_store, record, frames)


@pytest.fixture(scope="session")
def web_app(web_store: Path, web_run: Path):  # type: ignore[no-untyped-def]
    return create_app(web_store)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no csrf_token field"
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> TestClient:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text[:300]
    return client


@pytest.fixture(scope="session")
def as_role(web_app) -> Iterator[Callable[[str], TestClient]]:  # type: ignore[no-untyped-def]
    """as_role("caseworker"): a TestClient logged in as that demo user (one per role per session)."""
    clients: dict[str, TestClient] = {}

    def get(role: str) -> TestClient:
        if role not in clients:
            clients[role] = log_in(TestClient(web_app), role)
        return clients[role]

    yield get
    for client in clients.values():
        client.close()
