"""What the views that read an analysis run give, kept per request's meaning (issue 16, load).

Why: such a view is a pure function of the latest run, the read snapshot, the user's scope
(role and the id it is tied to), the language, the gate's threshold setting and the request's
path and query (which holds `?exact=1` and `?format=json`), so the same request by a user
with the same scope gets the same data. `view_data` keeps the handler's data under exactly that key, bounded, least
recently used out first (`polku.store.kept.Memo`); a new run or a new snapshot makes a new
key, so nothing stale is served, and old entries age out.

What a cache must not change: the disclosure gate applies inside the handler, so what is
kept is the gated data (exact figures are another key, `?exact=1`, which only an analyst's
scope can have made: a refused request raises, and an error is never kept). The audit row a
handler asks for (an exact view, a download) is kept with the data and written on every
request, hit or not (`polku.web.app._serve` writes it). Views that show something else that
changes (the state of a started analysis) opt out with `View(cache=False)`; person-level
views read the store and keep their parts per snapshot and scope instead (`Scope.memo`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from polku import sdc
from polku.store.kept import Memo
from polku.web import results
from polku.web.access import identity
from polku.web.data import read_source

if TYPE_CHECKING:
    from polku.web.app import Context, View

VIEWS_KEPT = 512
"""View answers kept per process (about 20 pages x 2 formats x 3 languages x a few scopes)."""

_kept = Memo(VIEWS_KEPT)


@dataclass(frozen=True)
class Kept:
    """A handler's data and the audit row it asked for (None: not audited)."""

    data: Any
    audited: dict[str, Any] | None


def key(view: View, ctx: Context) -> Hashable:
    """Everything the view's answer depends on: the view, path and query, language, the gate's
    threshold, the user's scope, the latest run (and a served register's) and the read snapshot."""
    request = ctx.request
    run = results.latest_run(ctx.state.store_path)
    register = ctx.state.register_path
    national = None if register is None else results.latest_run(register)
    return (
        view.name,
        request.url.path,
        tuple(sorted(request.query_params.multi_items())),
        ctx.locale.lang,
        sdc.threshold(),
        identity(ctx.user),
        None if run is None else str(run.folder),
        None if national is None else str(national.folder),
        str(read_source(ctx.state.store_path)),
    )


def view_data(view: View, ctx: Context) -> Any:
    """The view's data for this request, from the handler or kept; the audit row it asked for
    is set on `ctx` either way."""

    def compute() -> Kept:
        data = view.handler(ctx)
        return Kept(data, ctx.audited)

    kept = _kept.get(key(view, ctx), compute)
    ctx.audited = kept.audited
    return kept.data


def clear() -> None:
    """Forget every kept answer (tests)."""
    _kept.clear()
