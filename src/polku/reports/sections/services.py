"""Services: what was delivered, when, how it ended, at what cost and by whom."""

from __future__ import annotations

from polku import sdc
from polku.reports import queries
from polku.reports.blocks import Block, Labeler, Table, chart_of, cross_table, no_data, sdc_note
from polku.reports.context import NONE, ReportContext
from polku.reports.registry import register
from polku.schema.codelists import codelist
from polku.store import Store


def service_labeler(store: Store, ctx: ReportContext) -> Labeler:
    """Service names from the catalogue in the report language; unknown codes as themselves."""
    names = queries.service_names(store, ctx.lang)
    return lambda code: ctx.t("common.not_given") if code == NONE else names.get(code, code)


def provider_labeler(store: Store, ctx: ReportContext) -> Labeler:
    names = {p["provider_id"]: p["name"] for p in queries.providers(store)}
    return lambda pid: ctx.t("services.no_provider") if pid == NONE else names.get(pid, pid)


def cost_table(store: Store, ctx: ReportContext, service: Labeler) -> Table:
    """Total cost and cost per episode by service; euros only where enough clients lie behind."""
    rows, applied = [], False
    for code, row in queries.service_costs(store).items():
        total = sdc.amount(row["cost"], int(row["clients"]), t=ctx.threshold)
        per = sdc.mean(row["cost"], int(row["with_cost"]), t=ctx.threshold)
        shown, hidden = sdc.separate_counts({"n": int(row["episodes"])}, t=ctx.threshold)
        applied = applied or hidden or total.sdc_applied or per.sdc_applied
        rows.append((service(code), ctx.num(shown["n"]), ctx.num(total.value), ctx.num(per.value)))
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


@register("services", "section.services", 30)
def services_section(store: Store, ctx: ReportContext) -> list[Block]:
    """Episodes by service and year, completion, costs, and providers per service."""
    by_year = queries.episodes_by(store, "service_code", "year")
    if not by_year:
        return no_data(ctx)
    service = service_labeler(store, ctx)
    head = ctx.t("services.service")
    years = cross_table(ctx, "services-year", ctx.t("services.by_year"), head, by_year, (service, str))
    status = cross_table(
        ctx,
        "services-status",
        ctx.t("services.by_status"),
        head,
        queries.episodes_by(store, "service_code", "completion_status"),
        (service, lambda k: ctx.label("completion_status", k)),
        (None, codelist("completion_status").codes),
    )
    providers = cross_table(
        ctx,
        "services-provider",
        ctx.t("services.by_provider"),
        ctx.t("providers.provider"),
        queries.episodes_by(store, "provider_id", "service_code"),
        (provider_labeler(store, ctx), service),
    )
    chart = chart_of(ctx, years, title=ctx.t("services.episodes_chart"), value_label=ctx.t("unit.episodes"), horizontal=True)
    return [years, *chart, status, cost_table(store, ctx, service), providers]
