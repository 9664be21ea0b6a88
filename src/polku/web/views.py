"""The views: each takes a `Context` and returns the data its page (and JSON twin) shows.

They read only through `ctx.scope` (`polku.web.access`) and say what they read with
`ctx.read(...)` when it is person-level, so that the request is audited.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.routing import BaseRoute, Route

from polku import sdc
from polku.web import analysis, area, clients, overview, provider, results, team
from polku.web.access import POLICY, Reads, Scope
from polku.web.app import Context, View, wants_json

PAGE_SIZE = 200
"""Clients per HTML page; the JSON twin gives the whole list."""


def _scope(ctx: Context) -> Scope:
    assert ctx.scope is not None, "a data view runs inside a Scope"
    return ctx.scope


def me(ctx: Context) -> dict[str, Any]:
    """Who is logged in, in which role and scope."""
    user = ctx.user
    return {
        "username": user.username,
        "role": user.role,
        "case_worker_id": user.case_worker_id,
        "team_id": user.team_id,
        "provider_id": user.provider_id,
        "lang": ctx.locale.lang,
        "reads": sorted(r.value for r in POLICY.get(user.role, frozenset())),
    }


def client_list(ctx: Context) -> dict[str, Any]:
    """The own desk: the clients in scope with their stage, last service and latest measurement."""
    scope = _scope(ctx)
    as_of = ctx.state.as_of(scope)
    rows = clients.client_list(scope, as_of)
    ctx.read(rows={"person": len(rows)})
    page, pages = _page(ctx, len(rows))
    as_json = wants_json(ctx.request)
    shown = rows if as_json else rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    latest = {} if as_json else clients.latest_measurements(scope, [uuid.UUID(r["id"]) for r in shown])
    return {"as_of": as_of, "clients": shown, "count": len(rows), "page": page, "pages": pages, "latest": latest}


def _page(ctx: Context, count: int) -> tuple[int, int]:
    pages = max(1, -(-count // PAGE_SIZE))
    raw = ctx.request.query_params.get("page", "1")
    number = int(raw) if raw.isdigit() else 1
    return min(max(number, 1), pages) - 1, pages


def client_page(ctx: Context) -> dict[str, Any]:
    """One client's path: registrations, benefits, services, measurements, goals, employment."""
    scope = _scope(ctx)
    person_id = scope.client(ctx.request.path_params["id"])
    as_of = ctx.state.as_of(scope)
    path = clients.timeline(scope, person_id)
    ctx.read(rows={name: len(rows) for name, rows in path.items()} | {"person": 1})
    summary = clients.client_list(scope, as_of, person_id)[0]
    services = _service_names(scope, ctx.locale.lang)
    return {"id": str(person_id), "as_of": as_of, "summary": summary, "timeline": path, "services": services}


def _service_names(scope: Scope, lang: str) -> dict[str, str]:
    service = scope.table("service")
    frame = service.select("service_code", name=service[f"name_{lang}"]).execute()
    return dict(zip(frame.service_code, frame.name))


def area_overview(ctx: Context) -> dict[str, Any]:
    """Area aggregates of the latest analysis run through the disclosure gate; an analyst's
    `?exact=1` passes it, audited. Without a run, the page says how to make one."""
    exact = area.exact_asked(ctx)
    run = results.latest_run(ctx.state.store_path)
    if run is None:
        return {"exact": exact, "threshold": sdc.threshold(), "as_of": None} | area.no_run(ctx)
    figures = overview.overview(run.tables, exact=exact)
    if exact:
        ctx.audited = {"access": "aggregates", "exact": True, "run": run.run_id}
    return figures | {"run": results.run_facts(run)}


def users(ctx: Context) -> dict[str, Any]:
    """The accounts (names, roles and ties; never hashes)."""
    ctx.require(Reads.USERS)
    return {"users": ctx.state.accounts.users()}


VIEWS = [
    View("clients", "/clients", Reads.CLIENTS, client_list, "clients.html"),
    View("client", "/clients/{id}", Reads.CLIENTS, client_page, "client.html"),
    View("overview", "/overview", Reads.OVERVIEW, area_overview, "overview.html", store=False),
    View("me", "/me", None, me, "me.html"),
    View("users", "/users", Reads.USERS, users, "users.html"),
    # --- views (issue 16): the area pages read the latest analysis run, not the store ---
    View("area", "/area", Reads.OVERVIEW, area.page_view("area"), "area.html", store=False),
    View("impact", "/area/impact", Reads.OVERVIEW, area.page_view("impact"), "area.html", store=False),
    View("costs", "/area/costs", Reads.OVERVIEW, area.page_view("costs"), "area.html", store=False),
    View("services", "/area/services", Reads.OVERVIEW, area.page_view("services"), "area.html", store=False),
    View("drill_service", "/area/drill/service", Reads.OVERVIEW, area.page_view("drill_service"), "area.html", store=False),
    View("drill_group", "/area/drill/group", Reads.OVERVIEW, area.page_view("drill_group"), "area.html", store=False),
    View(
        "drill_municipality",
        "/area/drill/municipality",
        Reads.OVERVIEW,
        area.page_view("drill_municipality"),
        "area.html",
        store=False,
    ),
    View("quality", "/quality", Reads.RUNS, area.page_view("quality"), "area.html", store=False),
    View("table", "/tables/{section}/{name}", Reads.OVERVIEW, area.table_download, "area.html", store=False),
    View("team", "/team", Reads.TEAM, team.team_page, "team.html"),
    View("provider", "/provider", Reads.PROVIDER, provider.provider_page, "provider.html", store=False),
    View("runs", "/runs", Reads.RUNS, analysis.runs_page, "runs.html", store=False),
    View("run_status", "/runs/status", Reads.RUNS, analysis.job_status, "run_status.html", store=False),
    View("run", "/runs/{run_id}", Reads.RUNS, analysis.run_detail, "run.html", store=False),
]

ROUTES: list[BaseRoute] = [Route("/runs/start", analysis.start_run, methods=["POST"], name="run_start")]
"""Routes that change state besides the forms' (`polku.web.forms`): starting an analysis run."""
