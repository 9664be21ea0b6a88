"""The client page's forms: enter a measurement, set a goal or update one (issue 16, point 3).

Each POST checks the CSRF token, the role (case workers enter as `case_worker`, providers'
coaches as `provider_coach`, and never health items or goals; others only read), and that
the client is in the user's scope (404 otherwise, as for reading), all through the one
access layer. The values are checked by the import's own rules (`polku.ingest.entry`); a bad
value comes back on the page with what is wrong (HTTP 400) and nothing is stored. A good
one is stored through one short write connection (`polku.web.data.writer`), which publishes
a read snapshot, so the page the browser is sent back to shows it; the entry is audited with
who made it. JSON clients (`/api/...` or `?format=json`) get 201 with the new key, or 400
with the problems.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from polku.i18n import catalog
from polku.ingest import entry
from polku.schema.codelists import codelist
from polku.web import desk_views, trail
from polku.web.access import HEALTH_GOAL_DOMAINS, HEALTH_ITEMS, Denied, NotInScope, Scope
from polku.web.accounts import Session, User
from polku.web.app import Context, WebState, current_session, json_response, render, wants_json
from polku.web.clients import plain_value
from polku.web.data import StoreBusy, writer
from polku.web.locale import Locale, language
from polku.web.security import csrf_ok

RECORDER = {"caseworker": "case_worker", "provider": "provider_coach"}
"""The roles that enter data, and who they are as the measurement's recorder."""
GOAL_UPDATES = ("status", "target", "due", "gas_level", "gas_weight")


@dataclass
class Outcome:
    key: str = ""
    problems: list[entry.Problem] = field(default_factory=list)


def _measurement(form: dict[str, str], user: User, existing: dict[str, Any] | None) -> dict[str, str | None]:
    item = form.get("item", "")
    if user.role == "provider" and item in HEALTH_ITEMS:
        raise Denied("a provider does not enter health or work-ability items")
    scale = codelist("measurement_item").attributes.get(item, {})
    return {
        "measurement_id": entry.new_key("M"),
        "instrument": form.get("instrument") or scale.get("instrument"),  # the page's form names the item only
        "item": item,
        "value": form.get("value"),
        "scale_min": str(scale.get("scale_min", "")),
        "scale_max": str(scale.get("scale_max", "")),
        "measured_on": form.get("measured_on"),
        "recorded_by": RECORDER[user.role],
    }


def _goal(form: dict[str, str], user: User, existing: dict[str, Any] | None) -> dict[str, str | None]:
    base = {k: None if v is None else str(v) for k, v in (existing or {}).items()}
    given = {k: form.get(k) for k in ("domain", "baseline", "target", "set_on", "due", "status", "gas_level", "gas_weight")}
    texts = base | {k: v for k, v in given.items() if v is not None and (existing is None or k in GOAL_UPDATES)}
    if user.role == "provider" and texts.get("domain") in HEALTH_GOAL_DOMAINS:
        raise Denied("a provider does not set health or work-ability goals")
    texts["goal_id"] = base.get("goal_id") or entry.new_key("G")
    texts["status"] = texts.get("status") or "open"
    return texts


def _instrument_problem(texts: dict[str, str | None]) -> list[entry.Problem]:
    attrs = codelist("measurement_item").attributes.get(texts.get("item") or "")
    if attrs is not None and attrs.get("instrument") != texts.get("instrument"):
        return [entry.Problem("item", "item_not_of_instrument", "item does not belong to the instrument")]
    return []


def _existing_goal(scope: Scope, person_id: Any, goal_id: str) -> dict[str, Any]:
    goals = scope.client_table("goal", person_id)
    frame = goals.filter(goals.goal_id == goal_id).execute()
    if frame.empty:
        raise NotInScope("no such goal of this client")
    row = {k: plain_value(v) for k, v in frame.iloc[0].to_dict().items()}  # NaN and NA as None, timestamps as dates
    return {k: v for k, v in row.items() if not k.startswith("_") and k not in ("person_id", "key_version")}


def _write(state: WebState, user: User, client_id: str, table: str, form: dict[str, str]) -> Outcome:
    """Check the client and the entry, then store it (or update the goal); problems stop it."""
    if user.role not in RECORDER:
        raise Denied(f"the role {user.role} does not enter data")
    with state.snapshots.reading() as store:
        scope = Scope(user, store)
        person_id = scope.client(client_id)
        existing = _existing_goal(scope, person_id, form["goal_id"]) if table == "goal" and form.get("goal_id") else None
    texts = (_measurement if table == "measurement" else _goal)(form, user, existing)
    with writer(state.store_path) as store:
        values, problems = entry.check(store, table, person_id, texts)
        problems += _instrument_problem(texts) if table == "measurement" else []
        if problems:
            return Outcome(problems=problems)
        if existing is None:
            entry.store_row(store, table, values, user.username)
        elif not entry.update_row(store, table, str(texts["goal_id"]), values, list(GOAL_UPDATES), user.username):
            return Outcome(problems=[entry.Problem("goal_id", "imported_goal", "only goals entered here can be updated here")])
    state.snapshots.adopt()  # the snapshot the writer published, read from the next page on
    return Outcome(key=str(texts[entry_key(table)]))


def entry_key(table: str) -> str:
    return "measurement_id" if table == "measurement" else "goal_id"


def problem_text(locale: Locale, problem: entry.Problem) -> str:
    """The problem in the user's language where the catalog has it, else the import's own text."""
    words = catalog(locale.lang)
    label = locale.t(f"web.field.{problem.column}") if f"web.field.{problem.column}" in words else problem.column
    key = f"web.entry.reason.{problem.code}"
    return locale.t(key, field=label) if key in words else f"{label}: {problem.reason}"


def _page_with_errors(state: WebState, request: Request, session: Session, locale: Locale, errors: list[str]) -> Response:
    user = session.user
    assert user is not None
    with state.snapshots.reading() as store:
        ctx = Context(request, state, session, user, locale, scope=Scope(user, store))
        ctx.form_errors = errors  # type: ignore[attr-defined]
        data = desk_views.client_page(ctx)
    return render(state, request, "client.html", locale, 400, view="client", user=user, session=session, **data)


def _handler(table: str) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        return await _enter(request, table)

    endpoint.__name__ = f"enter_{table}"
    return endpoint


async def _refuse(state: WebState, request: Request, actor: str, action: str, status: int, reason: str) -> Response:
    await run_in_threadpool(trail.record, state.store_path, actor, action, outcome="refused", reason=reason, status=status)
    if wants_json(request):
        return json_response({"error": reason}, status)
    return Response(reason, status_code=status, media_type="text/plain")


async def _enter(request: Request, table: str) -> Response:
    state: WebState = request.app.state.web
    session = await current_session(state, request)
    if session is None or session.user is None:
        return (
            json_response({"error": "login required"}, 401)
            if wants_json(request)
            else RedirectResponse("/login", status_code=303)
        )
    user, action = session.user, f"web {table} entry"
    form = {k: str(v) for k, v in (await request.form()).items()}
    if not csrf_ok(session.csrf, form.get("csrf_token")):
        return await _refuse(state, request, user.username, action, 403, "CSRF token missing or wrong")
    locale, client_id = Locale(language(session.lang, user.lang)), request.path_params["id"]
    try:
        outcome = await run_in_threadpool(_write, state, user, client_id, table, form)
    except Denied as refusal:
        return await _refuse(state, request, user.username, action, 403, refusal.what)
    except NotInScope as refusal:
        return await _refuse(state, request, user.username, action, 404, refusal.what)
    except StoreBusy:
        text = locale.t("web.error.503")
        return (
            json_response({"error": text}, 503)
            if wants_json(request)
            else Response(text, status_code=503, media_type="text/plain")
        )
    if outcome.problems:
        errors = [problem_text(locale, p) for p in outcome.problems]
        if wants_json(request):
            return json_response(
                {"errors": [{"field": p.column, "code": p.code, "message": e} for p, e in zip(outcome.problems, errors)]}, 400
            )
        return await run_in_threadpool(_page_with_errors, state, request, session, locale, errors)
    await run_in_threadpool(
        trail.record, state.store_path, user.username, action, access="person-level row entered", rows={table: 1}
    )
    if wants_json(request):
        return json_response({"ok": True, entry_key(table): outcome.key, "entered_at": dt.datetime.now(dt.UTC).isoformat()}, 201)
    return RedirectResponse(f"/clients/{client_id}?entered={table}#{table}", status_code=303)


ROUTES: list[BaseRoute] = [
    route
    for table, path in (("measurement", "measurements"), ("goal", "goals"))
    for route in (
        Route(f"/clients/{{id}}/{path}", _handler(table), methods=["POST"], name=f"enter_{table}"),
        Route(f"/api/clients/{{id}}/{path}", _handler(table), methods=["POST"], name=f"api_enter_{table}"),
    )
]
