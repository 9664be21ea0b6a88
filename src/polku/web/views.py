"""The views: each takes a `Context` and returns the data its page (and JSON twin) shows.

They read only through `ctx.scope` (`polku.web.access`) and say what they read with
`ctx.read(...)` when it is person-level, so that the request is audited.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Route

from polku import sdc
from polku.web import analysis, area, desk_views, overview, provider, results, team
from polku.web.access import POLICY, Reads, Scope
from polku.web.app import Context, View


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


AREA_PATHS = {
    "area": "/area",
    "impact": "/area/impact",
    "costs": "/area/costs",
    "services": "/area/services",
    "drill_service": "/area/drill/service",
    "drill_group": "/area/drill/group",
    "drill_municipality": "/area/drill/municipality",
    "quality": "/quality",
    # issues 17, 18 and 19: client groups and the menu, effects on change, providers, equality, payments, national
    "groups": "/area/groups",
    "change": "/area/change",
    "providers": "/area/providers",
    "equality": "/area/equality",
    "payments": "/area/payments",
    "national": "/area/national",
}
"""The area pages (`polku.web.area.PAGES`) and their paths."""


def area_view(name: str, path: str) -> View:
    """An area page as a route: it reads what its page declares, from runs only."""
    return View(name, path, area.PAGES[name].reads, area.page_view(name), "area.html", store=False)


VIEWS = [
    View("clients", "/clients", Reads.CLIENTS, desk_views.client_list, "clients.html"),
    View("client", "/clients/{id}", Reads.CLIENTS, desk_views.client_page, "client.html"),
    View("overview", "/overview", Reads.OVERVIEW, area_overview, "overview.html", store=False),
    View("me", "/me", None, me, "me.html"),
    View("users", "/users", Reads.USERS, users, "users.html"),
    # --- views (issue 16): the area pages read the latest analysis run, not the store ---
    *(area_view(name, path) for name, path in AREA_PATHS.items()),
    View("table", "/tables/{section}/{name}", Reads.OVERVIEW, area.table_download, "area.html", store=False),
    View("team", "/team", Reads.TEAM, team.team_page, "team.html"),
    View("provider", "/provider", Reads.PROVIDER, provider.provider_page, "provider.html", store=False),
    View("runs", "/runs", Reads.RUNS, analysis.runs_page, "runs.html", store=False, cache=False),
    View("run_status", "/runs/status", Reads.RUNS, analysis.job_status, "run_status.html", store=False, cache=False),
    View("run", "/runs/{run_id}", Reads.RUNS, analysis.run_detail, "run.html", store=False),
]

ROUTES: list[BaseRoute] = [Route("/runs/start", analysis.start_run, methods=["POST"], name="run_start")]
"""Routes that change state besides the forms' (`polku.web.forms`): starting an analysis run."""
