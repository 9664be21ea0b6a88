"""The Starlette application: sessions, the route table and how a view becomes HTML or JSON.

Every data route is a `View`: a path, its JSON twin under `/api/`, what it reads
(`polku.web.access.Reads`) and a handler that gets a `Context` holding the user's `Scope`.
`_serve` does the rest the same way for every route: the session, the access check, a
short read-only connection, the audit row, 401/403/404/503, and HTML or JSON
(`?format=json`). A handler decides nothing about access.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from polku import settings
from polku.web import cache, trail
from polku.web.access import POLICY, Denied, NotInScope, Reads, Scope, require
from polku.web.accounts import Accounts, Session, User, path_for
from polku.web.data import Snapshots, StoreBusy, data_date, reader
from polku.web.locale import Locale, language
from polku.web.security import COOKIE, SecurityHeaders

if TYPE_CHECKING:
    from polku.web.oidc import OidcProvider

PERSON_LEVEL = "person-level rows read"


@dataclass
class WebState:
    """What every request shares: the store, the accounts file, the templates, whether this is a demo."""

    store_path: Path
    accounts: Accounts
    demo_store: bool
    templates: Environment
    oidc: OidcProvider | None = None
    """The OIDC provider when OIDC login is configured (polku.web.oidc), else None."""
    register_path: Path | None = None
    """A national register's folder (`polku serve --register`): the national view shows its
    latest run (`polku national`) instead of the store's own national section."""
    snapshots: Snapshots = field(init=False)
    """The newest read snapshot, kept open between requests (`polku.web.data.Snapshots`)."""

    prepare: bool = False
    """Whether a new snapshot is prepared in the background before requests read it
    (`polku.web.data.Snapshots`; `polku serve` does), or read at once."""

    def __post_init__(self) -> None:
        self.snapshots = Snapshots(self.store_path, prepare=self.prepare)

    @property
    def demo(self) -> bool:
        return self.demo_store or self.accounts.has_demo_users()

    def as_of(self, scope: Scope) -> dt.date:
        """The data's own date (latest recorded date) of the snapshot the request reads (`data_date`)."""
        return data_date(scope.store) or dt.date.today()


@dataclass
class Context:
    """One request as a handler sees it."""

    request: Request
    state: WebState
    session: Session
    user: User
    locale: Locale
    scope: Scope | None = None
    audited: dict[str, Any] | None = None
    """Set by a handler that read person-level rows or exact figures: what goes on the audit row."""

    def require(self, reads: Reads) -> None:
        require(self.user, reads)

    def read(self, **data: Any) -> None:
        self.audited = {"access": PERSON_LEVEL} | data


@dataclass(frozen=True)
class View:
    name: str
    path: str
    reads: Reads | None
    handler: Callable[[Context], Any]
    """Returns the page's data (a dict), or a finished Response (a download)."""
    template: str
    store: bool = True
    """Whether the handler reads the store (its newest read snapshot) or only analysis runs."""
    cache: bool = True
    """For a view that reads only analysis runs (`store=False`): whether its answer is a pure
    function of the request, the user's scope, language, latest run and snapshot, and so kept
    (`polku.web.cache`). False for what shows anything else that changes (a started analysis)."""


def templates() -> Environment:
    env = Environment(loader=PackageLoader("polku.web", "templates"), autoescape=select_autoescape(["html"]))
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": str}
    return env


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


class RawJSON(str):
    """A value already encoded as JSON (`encode_json`), placed into an answer as it is: a view
    may keep the encoding of a large part of its answer (the desk's rows) with the values it
    was encoded from, rather than encode the same rows again on every request."""


def encode_json(value: Any) -> RawJSON:
    """`value` as the JSON text `json_response` would give it."""
    return RawJSON(json.dumps(value, ensure_ascii=False, default=_json_default))


def json_response(payload: Any, status: int = 200) -> Response:
    """`payload` as JSON; a `RawJSON` value of a top-level dict is placed in as it is."""
    if isinstance(payload, dict) and any(isinstance(v, RawJSON) for v in payload.values()):
        parts = (f"{encode_json(str(k))}: {v if isinstance(v, RawJSON) else encode_json(v)}" for k, v in payload.items())
        body = "{" + ", ".join(parts) + "}"
    else:
        body = encode_json(payload)
    return Response(body, status_code=status, media_type="application/json")


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.query_params.get("format") == "json"


def render(
    ctx_state: WebState, request: Request, template: str, locale: Locale, http_status: int = 200, **values: Any
) -> HTMLResponse:
    session = values.pop("session", None)
    user = values.pop("user", None) or (session.user if session else None)
    nav = {r.value for r in POLICY.get(user.role, frozenset())} if user else set()
    oidc_name = ctx_state.oidc.config.name if ctx_state.oidc else None
    page = ctx_state.templates.get_template(template).render(
        loc=locale, demo=ctx_state.demo, request=request, session=session, user=user, nav=nav, oidc_name=oidc_name, **values
    )
    return HTMLResponse(page, status_code=http_status)


async def current_session(state: WebState, request: Request) -> Session | None:
    return await run_in_threadpool(state.accounts.session, request.cookies.get(COOKIE))


def _error(state: WebState, request: Request, locale: Locale, status: int, session: Session | None) -> Response:
    if wants_json(request):
        return json_response({"error": locale.t(f"web.error.{status}")}, status)
    return render(state, request, "error.html", locale, status, status=status, session=session)


def _run_view(view: View, ctx: Context) -> Any:
    """The handler on the newest read snapshot (for views that read data); a view of analysis runs
    kept per request's meaning (`polku.web.cache`)."""
    if view.reads not in (None, Reads.USERS) and not view.store and view.cache:
        return cache.view_data(view, ctx)
    if view.reads in (None, Reads.USERS) or not view.store:
        return view.handler(ctx)
    with ctx.state.snapshots.reading() as store:
        ctx.scope = Scope(ctx.user, store)
        return view.handler(ctx)


async def _serve(view: View, request: Request) -> Response:
    state: WebState = request.app.state.web
    session = await current_session(state, request)
    if session is None or session.user is None:
        if wants_json(request):
            return json_response({"error": "login required"}, 401)
        return RedirectResponse("/login", status_code=303)
    user = session.user
    ctx = Context(request, state, session, user, Locale(language(session.lang, user.lang)))
    try:
        if view.reads is not None:
            require(user, view.reads)
        data = await run_in_threadpool(_run_view, view, ctx)
    except (Denied, NotInScope) as refusal:
        status = 403 if isinstance(refusal, Denied) else 404
        await run_in_threadpool(
            trail.record,
            state.store_path,
            user.username,
            f"web {view.name}",
            outcome="refused",
            reason=refusal.what,
            status=status,
        )
        return _error(state, request, ctx.locale, status, session)
    except StoreBusy:
        return _error(state, request, ctx.locale, 503, session)
    if ctx.audited is not None:
        await run_in_threadpool(trail.record, state.store_path, user.username, f"web {view.name}", **ctx.audited)
    if isinstance(data, Response):
        return data
    # Encoding and rendering in the thread pool, as the handler: on the event loop a large
    # answer (an analyst's desk as JSON, 33 MB for 20,000 clients) held every other request.
    if wants_json(request):
        return await run_in_threadpool(json_response, data)
    return await run_in_threadpool(
        render, state, request, view.template, ctx.locale, view=view.name, user=user, session=session, **data
    )


def _endpoint(view: View) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        return await _serve(view, request)

    endpoint.__name__ = view.name
    return endpoint


def routes(views: list[View], forms: list[BaseRoute]) -> list[BaseRoute]:
    found: list[BaseRoute] = list(forms)
    for view in views:
        found.append(Route(view.path, _endpoint(view), methods=["GET"], name=view.name))
        found.append(Route("/api" + view.path, _endpoint(view), methods=["GET"], name=f"api_{view.name}"))
    found.append(Mount("/static", StaticFiles(packages=[("polku.web", "static")]), name="static"))
    return found


def _lifespan(state: WebState) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Close the kept-open read snapshot when the server stops."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.snapshots.close()

    return lifespan


def create_app(
    store_path: Path | str,
    *,
    accounts: Accounts | None = None,
    demo: bool | None = None,
    oidc: OidcProvider | None = None,
    register: Path | None = None,
    prepare: bool = False,
) -> Starlette:
    """The web app over the store at `store_path` (which must exist). Tests may give their own
    `accounts` (a file elsewhere, a fake clock) and `oidc` provider; `demo` overrides the
    demo-store check (`polku.web.demo.is_demo_store`). OIDC login is on when `oidc` is given or
    configured (`polku.web.oidc.config_from_settings`). `register`: a national register whose
    latest run the national view shows. `prepare`: new snapshots are prepared in the background
    before requests read them (`polku.web.data.Snapshots`; `polku serve` does)."""
    from polku.web import demo as demo_module
    from polku.web import forms, views
    from polku.web import oidc as oidc_module

    path = Path(store_path)
    with reader(path):
        pass  # refuse a missing or foreign store at start, with the store's own message
    if accounts is None:
        accounts = Accounts(path_for(path), idle_seconds=settings.web_idle_minutes() * 60)
    if oidc is None and (config := oidc_module.config_from_settings()) is not None:
        oidc = oidc_module.OidcProvider(config)
    state = WebState(
        path,
        accounts,
        demo_module.is_demo_store(path) if demo is None else demo,
        templates(),
        oidc=oidc,
        register_path=register,
        prepare=prepare,
    )
    extra = forms.ROUTES + oidc_module.ROUTES + views.ROUTES
    app = Starlette(routes=routes(views.VIEWS, extra), middleware=[Middleware(SecurityHeaders)], lifespan=_lifespan(state))
    app.state.web = state
    return app
