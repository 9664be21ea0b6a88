"""Cost-benefit: what each service's additional employments return to the public purse.

From the impact section's estimates (the same fitted rows, `report_views`): the additional
employments with their interval, the fiscal gain of one employment at the participants'
own jobs under the year's Finnish rules, the programme cost, the net benefit and ratio
without and with pension contributions, and the Monte Carlo's probability that benefits
exceed costs (`polku.cba.store`). A chart shows the net benefit per participant with its
5-95 % Monte Carlo range; a table the inputs that move it most.
"""

from __future__ import annotations

from polku.cba.store import ServiceCostBenefit, cost_benefit_of
from polku.reports.blocks import Block, Chart, Note, Table, no_data
from polku.reports.charts import forest_chart
from polku.reports.context import ReportContext
from polku.reports.registry import register
from polku.reports.sections.impact import report_views
from polku.reports.sections.services import service_labeler
from polku.store import Store


def _table(ctx: ReportContext, rows: list[ServiceCostBenefit], service) -> Table:
    body = []
    for row in rows:
        r = row.result
        if r is None:
            body.append((service(row.service_code), row.note or ctx.t("impact.too_few"), "", "", "", "", "", "", ""))
            continue
        body.append((
            service(row.service_code), ctx.num(r.participants),
            f"{ctx.num(r.additional_employments, 1)} ({ctx.num(row.effect.ci_low, 1)} – {ctx.num(row.effect.ci_high, 1)})",
            ctx.num(r.gain_per_employment), ctx.num(r.cost), ctx.num(r.net), ctx.num(r.ratio, 2),
            ctx.num(r.net_with_pension), ctx.num(100 * row.monte_carlo.probability_benefit_exceeds_cost) + " %",
        ))
    return Table(
        id="cba-services", caption=ctx.t("cba.by_service"),
        header=(ctx.t("services.service"), ctx.t("impact.participants"), ctx.t("cba.additional"), ctx.t("cba.gain"),
                ctx.t("cba.cost"), ctx.t("cba.net"), ctx.t("cba.ratio"), ctx.t("cba.net_with_pension"), ctx.t("cba.probability")),
        rows=tuple(body), note=ctx.t("cba.table_note"),
    )


def _chart(ctx: ReportContext, rows: list[ServiceCostBenefit], service) -> Chart | None:
    shown = [row for row in rows if row.result is not None]
    svg = forest_chart(
        "cba-net", ctx.t("cba.chart_title"), [service(row.service_code) for row in shown],
        [row.result.per_participant(row.result.net) for row in shown],
        [(row.result.per_participant(row.monte_carlo.net_percentiles[5]), row.result.per_participant(row.monte_carlo.net_percentiles[95]))
         for row in shown],
        [row.result.per_participant(row.result.net_with_pension) for row in shown],
        value_label=ctx.t("cba.per_participant"), estimate_label=ctx.t("cba.legend_net"),
        naive_label=ctx.t("cba.legend_with_pension"),
    )
    return None if svg is None else Chart(svg, ctx.t("cba.chart_caption"))


def _tornado(ctx: ReportContext, rows: list[ServiceCostBenefit], service) -> Table:
    body = tuple(
        (service(row.service_code), ctx.t(f"cba.input.{bar.key}"), ctx.num(bar.net_at_low), ctx.num(bar.net_at_high))
        for row in rows if row.result is not None for bar in row.tornado[:3]
    )
    return Table(id="cba-tornado", caption=ctx.t("cba.tornado"),
                 header=(ctx.t("services.service"), ctx.t("cba.input"), ctx.t("cba.net_low"), ctx.t("cba.net_high")), rows=body)


@register("cost_benefit", "section.cost_benefit", 57)
def cost_benefit_section(store: Store, ctx: ReportContext) -> list[Block]:
    """Each service's cost-benefit analysis, its chart and what moves it."""
    if not store.con.execute("SELECT count(*) FROM service_episode").fetchall()[0][0]:
        return no_data(ctx)
    rows = [cost_benefit_of(store, view.service_code, view.rows, view.frame) for view in report_views(store, ctx)]
    service = service_labeler(store, ctx)
    year = next((row.year for row in rows if row.result is not None), None)
    blocks: list[Block] = [Note(ctx.t("cba.method", year=year or "")), _table(ctx, rows, service)]
    chart = _chart(ctx, rows, service)
    if chart is not None:
        blocks.append(chart)
    blocks.append(_tornado(ctx, rows, service))
    return blocks
