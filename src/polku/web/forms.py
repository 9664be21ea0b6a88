"""The routes that change state: login, logout and the language switch (each with a CSRF token),
and the front page, which sends each role to its first view.

Login answers the same way for an unknown name and a wrong password, takes as long for both
(`Accounts.authenticate`), counts failures per name and per client address (429 when either
is over its limit), and gives a new session token on success, so a token seen before login
is worth nothing after it. Every failed or refused attempt is audited; passwords never are.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from polku.i18n import LANGUAGES
from polku.web import entries, trail
from polku.web.accounts import Session
from polku.web.app import WebState, current_session, render
from polku.web.locale import Locale, language
from polku.web.security import COOKIE, client_address, csrf_ok, set_session_cookie

FIRST_VIEW = {"admin": "/users", "manager": "/overview"}
"""Where the front page sends a role; the others start at their clients."""


async def home(request: Request) -> Response:
    state: WebState = request.app.state.web
    session = await current_session(state, request)
    if session is None or session.user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(FIRST_VIEW.get(session.user.role, "/clients"), status_code=303)


async def login_form(request: Request) -> Response:
    state: WebState = request.app.state.web
    session = await current_session(state, request)
    if session is not None and session.user is not None:
        return RedirectResponse("/", status_code=303)
    return await _login_page(state, request, session, 200)


async def _login_page(state: WebState, request: Request, session: Session | None, status: int, error: str = "") -> Response:
    lang = language(request.query_params.get("lang"), session.lang if session else None)
    if session is None:
        session = await run_in_threadpool(state.accounts.new_session, None, lang)
    response = render(state, request, "login.html", Locale(lang), status, session=session, error=error)
    set_session_cookie(response, request, session.token)
    return response


async def login(request: Request) -> Response:
    state: WebState = request.app.state.web
    session = await current_session(state, request)
    form = await request.form()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    address = client_address(request)
    if session is None or not csrf_ok(session.csrf, form.get("csrf_token")):
        await run_in_threadpool(trail.record, state.store_path, username, "web login", outcome="refused", reason="csrf")
        return await _login_page(state, request, None, 403, "web.login.expired")
    if await run_in_threadpool(state.accounts.throttled, username, address):
        await run_in_threadpool(trail.record, state.store_path, username, "web login", outcome="refused", reason="throttled")
        return await _login_page(state, request, session, 429, "web.login.throttled")
    user = await run_in_threadpool(state.accounts.authenticate, username, password, address)
    if user is None:
        await run_in_threadpool(trail.record, state.store_path, username, "web login", outcome="refused", reason="credentials")
        return await _login_page(state, request, session, 401, "web.login.failed")
    await run_in_threadpool(state.accounts.end_session, session.token)
    fresh = await run_in_threadpool(state.accounts.new_session, user, language(session.lang, user.lang))
    await run_in_threadpool(trail.record, state.store_path, user.username, "web login", access="none")
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, request, fresh.token)
    return response


async def logout(request: Request) -> Response:
    state: WebState = request.app.state.web
    session = await current_session(state, request)
    form = await request.form()
    if session is not None and not csrf_ok(session.csrf, form.get("csrf_token")):
        return Response("CSRF token missing or wrong", status_code=403, media_type="text/plain")
    if session is not None:
        await run_in_threadpool(state.accounts.end_session, session.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _local(target: str) -> str:
    """Only a path on this server is a place to return to (no `//host` or `https://`)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


async def switch_language(request: Request) -> Response:
    state: WebState = request.app.state.web
    session = await current_session(state, request)
    form = await request.form()
    lang = str(form.get("lang", ""))
    if session is None or not csrf_ok(session.csrf, form.get("csrf_token")) or lang not in LANGUAGES:
        actor = session.user.username if session and session.user else ""
        await run_in_threadpool(trail.record, state.store_path, actor, "web language", outcome="refused", reason="csrf")
        return Response("CSRF token missing or wrong", status_code=403, media_type="text/plain")
    await run_in_threadpool(state.accounts.set_session_language, session.token, lang)
    if session.user is not None:
        await run_in_threadpool(state.accounts.set_language, session.user.username, lang)
    return RedirectResponse(_local(str(form.get("next", "/"))), status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/", home, methods=["GET"], name="home"),
    Route("/login", login_form, methods=["GET"], name="login_form"),
    Route("/login", login, methods=["POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/language", switch_language, methods=["POST"], name="language"),
    *entries.ROUTES,
]
