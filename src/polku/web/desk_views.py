"""The own desk (`/clients`) and the client page (`/clients/{id}`), each with its JSON twin.

Handlers only: the queries are in `polku.web.clients` and `polku.web.desk`, the access
decisions in `polku.web.access`, the forms in `polku.web.entries`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from polku.change.instrument import instruments
from polku.schema.codelists import codelist
from polku.store.kept import Memo
from polku.web import clients, desk, desk_chart
from polku.web.access import Scope
from polku.web.app import Context, RawJSON, encode_json, wants_json

PAGE_SIZE = 200
"""Clients per HTML page; the JSON twin gives the whole list."""


def _scope(ctx: Context) -> Scope:
    assert ctx.scope is not None, "a data view runs inside a Scope"
    return ctx.scope


def _page(ctx: Context, count: int) -> tuple[int, int]:
    pages = max(1, -(-count // PAGE_SIZE))
    raw = ctx.request.query_params.get("page", "1")
    number = int(raw) if raw.isdigit() else 1
    return min(max(number, 1), pages) - 1, pages


def _plain_chance(found: dict[str, Any] | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"chance": float(found["chance"]), "low": float(found["low"]), "high": float(found["high"]), "group": found["group"]}


SCOPES_ENCODED = 64
"""Scopes whose last desk rows and their JSON are kept per process, to reuse those of unchanged clients."""
_last_rows: Memo = Memo(SCOPES_ENCODED)
_last_json: Memo = Memo(SCOPES_ENCODED)


def _desk_rows(scope: Scope, as_of: dt.date, chances: desk.Chances) -> tuple[dict[str, Any], ...]:
    """Every client of the scope as the desk shows them (kept with the snapshot per scope, date
    and run). A client whose summary is the very one of this scope's last desk (`desk.desk`
    carried it) and whose chance is equal keeps the row object too, so its JSON is reused
    (`_desk_json`)."""
    rows = clients.client_list(scope, as_of)
    found = chances.for_clients(scope, [r["id"] for r in rows], as_of)
    summaries = desk.desk(scope, rows, as_of, clients.client_list_digest(scope, as_of))
    last: dict[str, tuple[dict[str, Any], Any, dict[str, Any]]] = _last_rows.peek(scope.identity) or {}
    now, shown = {}, []
    for summary in summaries:
        chance = _plain_chance(found.get(summary["id"]))
        kept = last.get(summary["id"])
        row = kept[2] if kept is not None and kept[0] is summary and kept[1] == chance else summary | {"chance": chance}
        now[summary["id"]] = (summary, chance, row)
        shown.append(row)
    _last_rows.put(scope.identity, now)
    return tuple(shown)


def _desk_json(scope: Scope, rows: tuple[dict[str, Any], ...]) -> RawJSON:
    """`encode_json([dict(row) for row in rows])`, each row encoded once: a row object of this
    scope's last desk (the same object: never changed once made) keeps its JSON. An analyst's
    desk of 20,000 clients is 33 MB of JSON, 0.7 s to encode whole, which an import would
    otherwise make the server do again on every snapshot."""
    last: dict[str, tuple[dict[str, Any], str]] = _last_json.peek(scope.identity) or {}
    now, parts = {}, []
    for row in rows:
        kept = last.get(row["id"])
        text = kept[1] if kept is not None and kept[0] is row else encode_json(dict(row))
        now[row["id"]] = (row, text)
        parts.append(text)
    _last_json.put(scope.identity, now)
    return RawJSON("[" + ", ".join(parts) + "]")


def forget() -> None:
    """Forget every scope's last desk rows and their JSON (tests)."""
    _last_rows.clear()
    _last_json.clear()


def client_list(ctx: Context) -> dict[str, Any]:
    """The own desk: the clients in scope with stage, contacts, change, goals, obligations,
    flags and the seed model's chance of work without a service. Every request is audited;
    the rows are worked out once per snapshot, scope, date and run."""
    scope = _scope(ctx)
    as_of = ctx.state.as_of(scope)
    chances = desk.Chances(ctx.state.store_path)
    run_id = chances.run.run_id if chances.run is not None else None

    def desk_rows(scope: Scope) -> tuple[dict[str, Any], ...]:
        return scope.prepared(("desk", as_of, run_id), lambda s: _desk_rows(s, as_of, chances))

    rows = desk_rows(scope)
    ctx.read(rows={"person": len(rows)})
    page, pages = _page(ctx, len(rows))
    if wants_json(ctx.request):  # the whole desk, encoded once per snapshot (an analyst's: 33 MB, 0.7 s, on 20,000 clients)
        shown: Any = scope.prepared(("desk json", as_of, run_id), lambda s: _desk_json(s, desk_rows(s)))
    else:
        shown = [dict(row) for row in rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]]
    return {
        "as_of": as_of,
        "clients": shown,
        "count": len(rows),
        "page": page,
        "pages": pages,
        "run": chances.about(),
    }


def _service_names(scope: Scope, lang: str) -> dict[str, str]:
    """Service code -> name in `lang` (kept with the snapshot)."""

    def read(scope: Scope) -> dict[str, str]:
        service = scope.table("service")
        frame = service.select("service_code", name=service[f"name_{lang}"]).execute()
        return dict(zip(frame.service_code, frame.name))

    return dict(scope.prepared(("service_names", lang), read))


def form_choices() -> dict[str, Any]:
    """What the entry forms offer: every instrument's items with their scales, the goal domains."""
    items = codelist("measurement_item")
    return {
        "instruments": {
            code: [
                {"item": i, "min": items.attributes[i]["scale_min"], "max": items.attributes[i]["scale_max"]} for i in inst.items
            ]
            for code, inst in instruments().items()
        },
        "goal_domains": list(codelist("goal_domain").codes),
        "goal_statuses": list(codelist("goal_status").codes),
    }


def _charts(ctx: Context, measurements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    loc = ctx.locale
    fmt = lambda v: loc.date(v) if hasattr(v, "isoformat") else loc.num(v, 1 if v % 1 else 0)  # noqa: E731
    found = []
    for item, entry in desk_chart.series(measurements).items():
        title = loc.label("measurement_item", item)
        chart = {"item": item, "points": entry["points"], "scale": entry["scale"]}
        if not wants_json(ctx.request):
            chart["svg"] = desk_chart.item_chart(title, entry["points"], entry["scale"], fmt)
        found.append(chart)
    return found


def client_page(ctx: Context) -> dict[str, Any]:
    """One client's path (registrations, benefits, services, measurements, goals, contacts,
    applications, employment), charts of the measurements, the desk's summary and the chance."""
    scope = _scope(ctx)
    person_id = scope.client(ctx.request.path_params["id"])
    as_of = ctx.state.as_of(scope)
    path = clients.timeline(scope, person_id)
    ctx.read(rows={name: len(rows) for name, rows in path.items()} | {"person": 1})
    base = clients.client_row(scope, path, as_of, person_id)
    summary = desk.one_client(path, base, as_of, obliged=scope.may_see("contact"))
    services = _service_names(scope, ctx.locale.lang)
    chances = desk.Chances(ctx.state.store_path)
    summary["chance"] = _plain_chance(chances.for_client(scope, person_id, as_of))
    group = summary["chance"]["group"] if summary["chance"] else None
    effects = chances.effects(services).get(group, []) if group else []
    return {
        "id": str(person_id),
        "as_of": as_of,
        "summary": summary,
        "timeline": path,
        "services": services,
        "charts": _charts(ctx, path.get("measurement", [])),
        "effects": effects,
        "run": chances.about(),
        "choices": form_choices(),
        "form_errors": getattr(ctx, "form_errors", None) or [],
    }
