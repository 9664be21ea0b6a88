"""The area views (manager, and everyone who may see area figures) and the table downloads.

Each page is a list of report sections, optionally narrowed to some of their tables (the
drill-downs), rendered from the latest analysis run by `polku.web.results`: the same
blocks, gate and words as the report. A page names the run it shows; without a run it says
how to make one. `?exact=1` (analyst only) renders the same sections without the gate and
is audited, and so is every download, gated or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from polku import sdc
from polku.runs.read import Run
from polku.web import provider, results
from polku.web.access import Denied, NotInScope, Reads, allowed
from polku.web.app import Context, json_response, wants_json

FORMATS = ("csv", "xlsx", "json")


@dataclass(frozen=True)
class Page:
    """An area page: its title, the report sections it shows, for a drill-down which tables,
    and what it reads (`polku.web.access.POLICY` says which roles may)."""

    title_key: str
    sections: tuple[str, ...]
    tables: tuple[str, ...] | None = None
    reads: Reads = Reads.OVERVIEW


PAGES: dict[str, Page] = {
    "area": Page("web.area.title", ("summary", "area")),
    "impact": Page("web.impact.title", ("impact",)),
    "costs": Page("web.costs.title", ("cost_benefit",)),
    "services": Page("web.services.title", ("services", "employment", "progress", "change")),
    "drill_service": Page(
        "web.drill.service",
        ("area", "impact", "services", "cost_benefit"),
        ("area-coefficients", "impact-services", "services-year", "services-status", "services-cost", "cba-services"),
    ),
    "drill_group": Page("web.drill.group", ("impact",), ("impact-groups", "impact-expected")),
    "drill_municipality": Page(
        "web.drill.municipality", ("area", "clients"), ("area-municipalities", "clients-municipality_code")
    ),
    "quality": Page("web.quality.title", ("quality",), reads=Reads.RUNS),
    "groups": Page("web.groups.title", ("groups", "menu"), reads=Reads.GROUPS),
    "change": Page("web.change.title", ("change_effects", "change"), reads=Reads.PLANNING),
    "providers": Page("web.providers.title", ("providers",), reads=Reads.PLANNING),
    "equality": Page("web.equality.title", ("equality",), reads=Reads.PLANNING),
    "payments": Page("web.payments.title", ("payments",), reads=Reads.PLANNING),
    "national": Page("web.national.title", ("national",), reads=Reads.PLANNING),
}
"""Every provider's figures (section `providers`) are on the planning page only: a provider
sees its own rows on `/provider` (`polku.web.provider`), never another provider's."""
EVERY_PROVIDER = frozenset({"services-provider", "impact-providers"})
"""Tables with a row per provider on pages every area role reads: shown (and downloaded) only
to roles that compare providers (`Reads.PLANNING`), so that no provider sees another's."""


def run_for(ctx: Context, section_ids: tuple[str, ...]) -> Run | None:
    """The run a page or download reads: with a national register served (`polku serve
    --register`), its latest run for sections that render a register's run (the national
    comparison), else the store's latest run."""
    register = ctx.state.register_path
    if register is not None and set(section_ids) <= results.register_sections():
        return results.latest_run(register)
    return results.latest_run(ctx.state.store_path)


def table_shown(ctx: Context, table_id: str) -> bool:
    return table_id not in EVERY_PROVIDER or allowed(ctx.user, Reads.PLANNING)


def exact_asked(ctx: Context) -> bool:
    """`?exact=1`: only an analyst may (403 otherwise)."""
    exact = ctx.request.query_params.get("exact") == "1"
    if exact:
        ctx.require(Reads.EXACT)
    return exact


def no_run(ctx: Context) -> dict[str, Any]:
    return {"run": None, "blocks": [], "no_run": ctx.locale.t("web.run.none")}


def page_view(name: str) -> Any:
    """The handler of the area page `name`."""
    page = PAGES[name]

    def handler(ctx: Context) -> dict[str, Any]:
        exact = exact_asked(ctx)
        base = {"page": name, "title": ctx.locale.t(page.title_key), "exact": exact, "threshold": sdc.threshold()}
        run = run_for(ctx, page.sections)
        if run is None:
            return base | no_run(ctx)
        rctx = results.context(run, ctx.locale.lang, exact)
        blocks = results.page_blocks(run, page.sections, rctx, for_json=wants_json(ctx.request), tables=page.tables)
        blocks = [b for b in blocks if b["kind"] != "table" or table_shown(ctx, b["id"])]
        if exact:
            ctx.audited = {"access": "aggregates", "exact": True, "run": run.run_id, "page": name}
        return base | {"run": results.run_facts(run), "blocks": blocks}

    handler.__name__ = f"{name}_page"
    return handler


WEB_TABLES = {"provider": (provider.own_table, "providers")}
"""Tables of the web's own pages (not report sections), by the page's name: a function that
checks its own read and gives the table for this user (or None), and the report section
whose title names the workbook's sheet."""


def _section_allowed(ctx: Context, section_id: str) -> None:
    """A section's tables download for whoever may see a page that shows it."""
    if section_id in WEB_TABLES:
        return
    reads = {page.reads for page in PAGES.values() if section_id in page.sections}
    if not reads:
        raise NotInScope("no such table")
    if not any(allowed(ctx.user, r) for r in reads):
        raise Denied(f"the role {ctx.user.role} may not read {' or '.join(sorted(r.value for r in reads))}")


def table_download(ctx: Context) -> Response:
    """`/tables/{section}/{table}.{csv|xlsx|json}`: one table of the latest run, as on the page."""
    section_id = ctx.request.path_params["section"]
    stem, _, fmt = ctx.request.path_params["name"].rpartition(".")
    _section_allowed(ctx, section_id)
    exact = exact_asked(ctx)
    run = run_for(ctx, (section_id,))
    if fmt not in FORMATS or run is None:
        raise NotInScope("no such table")
    rctx = results.context(run, ctx.locale.lang, exact)
    if not table_shown(ctx, stem):
        raise Denied(f"the role {ctx.user.role} may not compare providers")
    own, sheet = WEB_TABLES.get(section_id, (None, section_id))
    table = own(ctx, run, rctx, stem) if own else results.find_table(run, section_id, stem, rctx)
    if table is None:
        raise NotInScope("no such table")
    ctx.audited = {"access": "aggregates", "download": fmt, "table": stem, "run": run.run_id, "exact": exact}
    if fmt == "json":
        return json_response(results.block_data(table, rctx.lang, section_id, for_json=True) | {"run": results.run_facts(run)})
    body, media = results.download(run, sheet, table, rctx, fmt)
    name = f"polku-{stem}-{run.run_id}.{fmt}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
