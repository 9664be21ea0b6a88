"""The role x route x object matrix: every route, every role, own and others' clients.

The expected scope of each role comes from plain SQL over the store (`conftest.Oracle`), not
from the access layer under test. Roles without person-level access get 403 on client
routes; roles with it get 404 for any client outside their scope (as for an unknown id, so
the answer does not tell whether the client exists).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROLES, Oracle, TestClient
from polku import sdc
from polku.store import audit

CLIENT_ROLES = ("analyst", "teamlead", "caseworker", "provider")
LIST_ROUTES = ("/clients", "/api/clients", "/clients?format=json")
OVERVIEW_ROUTES = ("/overview", "/api/overview", "/overview?format=json")
ME_ROUTES = ("/me", "/api/me", "/me?format=json")
USER_ROUTES = ("/users", "/api/users", "/users?format=json")
EXACT_ROUTES = ("/overview?exact=1", "/api/overview?exact=1")


def _objects(oracle: Oracle) -> dict[str, str]:
    """One client for each interesting place: the case worker's own, a teammate's, another team's,
    the provider's, not the provider's; plus an unknown and a malformed id."""
    own = oracle.by_role["caseworker"]
    team = oracle.by_role["teamlead"]
    referred = oracle.by_role["provider"]
    pick = lambda pool: min(pool)  # noqa: E731 - deterministic choice
    return {
        "own": pick(own),
        "teammate": pick(team - own),
        "other_team": pick(oracle.all - team - referred - own),
        "referred": pick(referred - own),
        "not_referred": pick(oracle.all - referred),
        "unknown": str(uuid.UUID(int=12345)),
        "malformed": "not-a-client",
    }


def test_the_store_has_every_kind_of_object(oracle: Oracle) -> None:
    objects = _objects(oracle)
    assert oracle.by_role["caseworker"] < oracle.by_role["teamlead"] < oracle.all
    assert objects["other_team"] not in oracle.by_role["teamlead"]
    assert len(oracle.by_role["caseworker"]) > 50 and len(oracle.by_role["provider"]) > 50


def _expected_client_status(role: str, client: str, oracle: Oracle) -> int:
    if role not in CLIENT_ROLES:
        return 403
    return 200 if client in oracle.by_role[role] else 404


@pytest.mark.parametrize("role", ROLES)
def test_client_routes(role: str, as_role: Callable[[str], TestClient], oracle: Oracle) -> None:
    client = as_role(role)
    seen = set()
    for name, object_id in _objects(oracle).items():
        expected = _expected_client_status(role, object_id, oracle)
        for route in (f"/clients/{object_id}", f"/api/clients/{object_id}"):
            response = client.get(route)
            assert response.status_code == expected, (role, name, route)
            seen.add(expected)
    assert seen == ({403} if role not in CLIENT_ROLES else {200, 404}), "every role meets both answers it can give"


@pytest.mark.parametrize("role", ROLES)
def test_list_routes_give_exactly_the_scope(role: str, as_role: Callable[[str], TestClient], oracle: Oracle) -> None:
    client = as_role(role)
    for route in LIST_ROUTES:
        response = client.get(route)
        if role not in CLIENT_ROLES:
            assert response.status_code == 403, route
            continue
        assert response.status_code == 200, route
        if "json" in route or route.startswith("/api"):
            ids = {c["id"] for c in response.json()["clients"]}
            assert ids == set(oracle.by_role[role]), route
        else:
            assert f'href="/clients/{min(oracle.by_role[role], key=str)}"' in response.text or "?page=2" in response.text


AREA_PAGES = (
    "/area",
    "/area/impact",
    "/area/costs",
    "/area/services",
    "/area/drill/service",
    "/area/drill/group",
    "/area/drill/municipality",
)
DOWNLOADS = tuple(f"/tables/area/area-transitions.{fmt}" for fmt in ("csv", "xlsx", "json"))
QUALITY_DOWNLOADS = tuple(f"/tables/quality/quality-quarantine.{fmt}" for fmt in ("csv", "xlsx", "json"))
GROUP_DOWNLOADS = tuple(
    f"/tables/{t}.{fmt}" for t in ("groups/groups-profile-rule", "menu/menu-targeting") for fmt in ("csv", "json")
)
PLANNING_PAGES = ("/area/change", "/area/providers", "/area/equality", "/area/payments", "/area/national")
PLANNING_DOWNLOADS = tuple(
    f"/tables/{t}.{fmt}"
    for t in ("providers/providers-comparison", "change_effects/change-effects-6", "national/national-expected")
    for fmt in ("csv", "xlsx", "json")
)


def _twins(*paths: str) -> tuple[str, ...]:
    """Each page, its JSON twin under /api/ and its ?format=json."""
    return tuple(p for path in paths for p in (path, "/api" + path, path + ("&" if "?" in path else "?") + "format=json"))


VIEW_ROUTES: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "area": (_twins(*AREA_PAGES) + DOWNLOADS, frozenset({"analyst", "manager", "teamlead", "caseworker", "provider"})),
    "exact": (
        _twins(*(p + "?exact=1" for p in (*AREA_PAGES, "/team", "/provider"))) + tuple(d + "?exact=1" for d in DOWNLOADS),
        frozenset({"analyst"}),
    ),
    "team": (_twins("/team"), frozenset({"analyst", "teamlead"})),
    "provider": (
        _twins("/provider") + tuple(f"/tables/provider/provider-comparison.{fmt}" for fmt in ("csv", "xlsx", "json")),
        frozenset({"analyst", "provider"}),
    ),
    "analyst": (_twins("/quality", "/runs", "/runs/status") + QUALITY_DOWNLOADS, frozenset({"analyst"})),
    "groups": (_twins("/area/groups") + GROUP_DOWNLOADS, frozenset({"analyst", "manager", "teamlead"})),
    "planning": (_twins(*PLANNING_PAGES) + PLANNING_DOWNLOADS, frozenset({"analyst", "manager"})),
}
"""The views' routes (issue 16) and the roles that may read each; every other role gets 403."""


@pytest.mark.parametrize("role", ROLES)
def test_other_routes(role: str, as_role: Callable[[str], TestClient]) -> None:
    client = as_role(role)
    expect = {
        OVERVIEW_ROUTES: 403 if role == "admin" else 200,
        EXACT_ROUTES: 200 if role == "analyst" else 403,
        USER_ROUTES: 200 if role == "admin" else 403,
        ME_ROUTES: 200,
    }
    for routes, roles in VIEW_ROUTES.values():
        expect[routes] = 200 if role in roles else 403
    for routes, status in expect.items():
        for route in routes:
            assert client.get(route).status_code == status, (role, route)


@pytest.mark.parametrize("role", ROLES)
def test_a_run_and_its_detail(role: str, as_role: Callable[[str], TestClient], web_run: Path) -> None:
    """A run's provenance is the analyst's; an unknown run id or table answers 404 like any unknown object."""
    client = as_role(role)
    run_id = web_run.name
    for route in _twins(f"/runs/{run_id}", "/runs/2026-01-01T000000Z-00000000"):
        expected = 403 if role != "analyst" else 200 if run_id in route else 404
        assert client.get(route).status_code == expected, (role, route)
    unknown = ("/tables/area/no-such-table.csv", "/tables/no-section/area-transitions.csv", "/tables/area/area-transitions.pdf")
    for route in unknown:
        assert client.get(route).status_code == (403 if role == "admin" else 404), (role, route)


def test_api_me_names_the_user(as_role: Callable[[str], TestClient]) -> None:
    for role in ROLES:
        me = as_role(role).get("/api/me").json()
        assert me["username"] == role and me["role"] == role


ANONYMOUS_ROUTES = [
    *LIST_ROUTES,
    *OVERVIEW_ROUTES,
    *ME_ROUTES,
    *USER_ROUTES,
    "/clients/x",
    "/api/clients/x",
    "/",
    *(route for routes, _ in VIEW_ROUTES.values() for route in routes),
]


@pytest.mark.parametrize("route", ANONYMOUS_ROUTES)
def test_without_a_session_nothing_is_shown(route: str, web_app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(web_app) as client:
        response = client.get(route, follow_redirects=False)
    if route.startswith("/api/") or "format=json" in route:
        assert response.status_code == 401
    else:
        assert response.status_code == 303 and response.headers["location"] == "/login"


def test_provider_sees_no_income_benefit_or_health(as_role: Callable[[str], TestClient], oracle: Oracle) -> None:
    provider = as_role("provider")
    provider_id = provider.get("/api/me").json()["provider_id"]
    client_id = max(oracle.by_role["provider"] & oracle.by_role["analyst"])
    mine = provider.get(f"/api/clients/{client_id}").json()["timeline"]
    full = as_role("analyst").get(f"/api/clients/{client_id}").json()["timeline"]
    assert "benefit_spell" not in mine and "benefit_spell" in full
    assert all("monthly_wage" not in row for row in mine["employment_spell"])
    assert len(mine["employment_spell"]) == len(full["employment_spell"])
    assert {row["item"] for row in mine["measurement"]}.isdisjoint({"work_ability_score", "work_ability", "wellbeing"})
    assert {row["provider_id"] for row in mine["service_episode"]} == {provider_id}
    assert all(g["domain"] not in ("work_ability", "wellbeing") for g in mine["goal"])


def test_overview_is_gated_and_exact_is_the_analysts_alone(
    as_role: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLKU_MIN_CELL_SIZE", "60")  # so that the area has small municipalities
    gated = as_role("manager").get("/api/overview").json()
    exact = as_role("analyst").get("/api/overview?exact=1").json()
    assert gated["exact"] is False and exact["exact"] is True and gated["threshold"] == 60
    exact_rows, gated_rows = exact["clients_by_municipality"]["rows"], gated["clients_by_municipality"]["rows"]
    small = [k for k, n in exact_rows.items() if 0 < n < 60]
    assert small, "the synthetic area has small municipalities"
    assert all(gated_rows[k] is None for k in small)
    assert gated_rows == sdc.distribution(exact_rows, t=60).column(), "the report's gate, no second rule"
    assert sum(exact_rows.values()) == exact["clients_by_municipality"]["total"] == 1000


def _journal_since(store: Path, before: int) -> list[dict[str, object]]:
    return audit.read_journal(store)[before:]


def test_reads_and_refusals_are_audited(as_role: Callable[[str], TestClient], oracle: Oracle, web_store: Path) -> None:
    objects = _objects(oracle)
    before = len(audit.read_journal(web_store))
    caseworker = as_role("caseworker")
    assert caseworker.get(f"/api/clients/{objects['own']}").status_code == 200
    assert caseworker.get(f"/api/clients/{objects['other_team']}").status_code == 404
    assert as_role("manager").get("/api/clients").status_code == 403
    rows = _journal_since(web_store, before)
    assert [(r["actor"], r["channel"], r["action"], r["outcome"]) for r in rows] == [
        ("caseworker", "web", "web client", "ok"),
        ("caseworker", "web", "web client", "refused"),
        ("manager", "web", "web clients", "refused"),
    ]
    assert '"person": 1' in str(rows[0]["data"]) and objects["own"] not in str(rows)


def test_an_exact_view_is_audited_and_a_gated_one_is_not(as_role: Callable[[str], TestClient], web_store: Path) -> None:
    before = len(audit.read_journal(web_store))
    as_role("manager").get("/api/overview")
    as_role("analyst").get("/api/overview?exact=1")
    rows = _journal_since(web_store, before)
    assert [(r["actor"], r["action"]) for r in rows] == [("analyst", "web overview")]
    assert '"exact": true' in str(rows[0]["data"])


def test_the_matrix_covers_every_view() -> None:
    """Every registered view (`polku.web.views.VIEWS`) is asked for above by every role: a new
    route fails here until the matrix says who may read it."""
    import re

    from polku.web.views import VIEWS

    asked = {route.split("?")[0].removeprefix("/api") for route in ANONYMOUS_ROUTES} | {"/runs/2026-01-01T000000Z-00000000"}
    for view in VIEWS:
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", view.path) + "$")
        assert any(pattern.match(route) for route in asked), f"the matrix does not cover {view.name} ({view.path})"
