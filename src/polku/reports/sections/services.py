"""Services: what was delivered, when, how it ended, at what cost and by whom.

Provider names come from the providers section's table (`providers_list`): the run holds
every section's tables, so the names are stored once.
"""

from __future__ import annotations

import pandas as pd

from polku import sdc
from polku.pipeline.settings import AnalysisContext
from polku.reports import queries
from polku.reports.blocks import Block, Labeler, Table, chart_of, cross_table, no_data, sdc_note
from polku.reports.context import NONE, ReportContext
from polku.reports.frames import count_frame, pairs_of, table
from polku.reports.registry import Results, register
from polku.schema.codelists import codelist
from polku.store import Store

CROSSES = {
    "services_by_year": ("service_code", "year"),
    "services_by_status": ("service_code", "completion_status"),
    "services_by_provider": ("provider_id", "service_code"),
}
"""The episode count tables and their (row, column) keys."""


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """Episodes by service and year, status and provider; costs per service; the
    catalogue's names of the services (`services_names`, every language)."""
    crosses = {name: count_frame(queries.episodes_by(store, *keys), *keys) for name, keys in CROSSES.items()}
    return crosses | {"services_costs": queries.service_costs(store), "services_names": queries.service_names(store)}


def service_labeler(results: Results, ctx: ReportContext) -> Labeler:
    """Service names from the catalogue in the report language; unknown codes as themselves."""
    frame = table(results, "services_names")
    names = dict(zip(frame["service_code"], frame[f"name_{ctx.lang}"]))
    return lambda code: ctx.t("common.not_given") if code == NONE else names.get(code, code)


def provider_labeler(results: Results, ctx: ReportContext) -> Labeler:
    """Provider names from the providers section's table; episodes without one say so."""
    frame = table(results, "providers_list")
    names = dict(zip(frame["provider_id"], frame["name"]))
    return lambda pid: ctx.t("services.no_provider") if pid == NONE else names.get(pid, pid)


def cost_table(results: Results, ctx: ReportContext, service: Labeler) -> Table:
    """Total cost and cost per episode by service; euros only where enough clients lie behind."""
    rows, applied = [], False
    for row in table(results, "services_costs").itertuples(index=False):
        total = sdc.amount(float(row.cost), int(row.clients), t=ctx.threshold)
        per = sdc.mean(float(row.cost), int(row.with_cost), t=ctx.threshold)
        shown, hidden = sdc.separate_counts({"n": int(row.episodes)}, t=ctx.threshold)
        applied = applied or hidden or total.sdc_applied or per.sdc_applied
        rows.append((service(str(row.service)), ctx.num(shown["n"]), ctx.num(total.value), ctx.num(per.value)))
    return Table(
        id="services-cost",
        caption=ctx.t("services.costs"),
        header=(
            ctx.t("services.service"),
            ctx.t("unit.episodes"),
            ctx.t("services.cost_total"),
            ctx.t("services.cost_per_episode"),
        ),
        rows=tuple(rows),
        note=" ".join(filter(None, [ctx.t("services.cost_note"), sdc_note(ctx, applied)])),
    )


@register("services", "section.services", 30, compute=compute)
def services_section(results: Results, ctx: ReportContext) -> list[Block]:
    """Episodes by service and year, completion, costs, and providers per service."""
    by_year = pairs_of(table(results, "services_by_year"))
    if not by_year:
        return no_data(ctx)
    service = service_labeler(results, ctx)
    head = ctx.t("services.service")
    years = cross_table(ctx, "services-year", ctx.t("services.by_year"), head, by_year, (service, str))
    status = cross_table(
        ctx,
        "services-status",
        ctx.t("services.by_status"),
        head,
        pairs_of(table(results, "services_by_status")),
        (service, lambda k: ctx.label("completion_status", k)),
        (None, codelist("completion_status").codes),
    )
    providers = cross_table(
        ctx,
        "services-provider",
        ctx.t("services.by_provider"),
        ctx.t("providers.provider"),
        pairs_of(table(results, "services_by_provider")),
        (provider_labeler(results, ctx), service),
    )
    chart = chart_of(ctx, years, title=ctx.t("services.episodes_chart"), value_label=ctx.t("unit.episodes"), horizontal=True)
    return [years, *chart, status, cost_table(results, ctx, service), providers]
