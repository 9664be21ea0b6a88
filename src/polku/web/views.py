"""The views: each takes a `Context` and returns the data its page (and JSON twin) shows.

They read only through `ctx.scope` (`polku.web.access`) and say what they read with
`ctx.read(...)` when it is person-level, so that the request is audited.
"""

from __future__ import annotations

from typing import Any

from polku.web import desk_views, overview
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
    """Area aggregates through the disclosure gate; an analyst's `?exact=1` passes it, audited."""
    exact = ctx.request.query_params.get("exact") == "1"
    if exact:
        ctx.require(Reads.EXACT)
    scope = _scope(ctx)
    figures = overview.overview(scope.area(), exact=exact)
    if exact:
        ctx.audited = {"access": "aggregates", "exact": True}
    return figures | {"as_of": ctx.state.as_of(scope)}


def users(ctx: Context) -> dict[str, Any]:
    """The accounts (names, roles and ties; never hashes)."""
    ctx.require(Reads.USERS)
    return {"users": ctx.state.accounts.users()}


VIEWS = [
    View("clients", "/clients", Reads.CLIENTS, desk_views.client_list, "clients.html"),
    View("client", "/clients/{id}", Reads.CLIENTS, desk_views.client_page, "client.html"),
    View("overview", "/overview", Reads.OVERVIEW, area_overview, "overview.html"),
    View("me", "/me", None, me, "me.html"),
    View("users", "/users", Reads.USERS, users, "users.html"),
]
