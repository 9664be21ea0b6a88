"""Cost-benefit: what each service's additional employments return to the public purse.

From the impact section's estimates (the same fitted rows, `report_views`): the additional
employments with their interval, the fiscal gain of one employment at the participants'
own jobs under the year's Finnish rules, the programme cost, the net benefit and ratio
without and with pension contributions, and the Monte Carlo's probability that benefits
exceed costs (`polku.cba.store`). A chart shows the net benefit per participant with its
5-95 % Monte Carlo range; a table the inputs that move it most. A service whose
participants who found work are fewer than the disclosure threshold shows no money figures
(their mean gain would describe a handful of people).
"""

from __future__ import annotations

from typing import Any

from polku import sdc
from polku.cba.store import ServiceCostBenefit, cost_benefit_of
from polku.errors import PolkuError
from polku.reports.blocks import Block, Chart, Note, Table, no_data
from polku.reports.charts import forest_chart, tornado_chart
from polku.reports.context import ReportContext
from polku.reports.registry import register
from polku.reports.sections.impact import report_views
from polku.reports.sections.services import service_labeler
from polku.store import Store


def _shown(ctx: ReportContext, row: ServiceCostBenefit) -> bool:
    """Money figures only where the gate lets them out (enough participants who found work)."""
    return "benefit" in _released(ctx, row)


def _released(ctx: ReportContext, row: ServiceCostBenefit) -> dict[str, Any]:
    return sdc.release_cost_benefit(row.to_dict(), t=ctx.threshold)


def _probability(ctx: ReportContext, p: float) -> str:
    if p > 0.99:
        return "> 99 %"
    if p < 0.01:
        return "< 1 %"
    return f"{ctx.num(100 * p)} %"


def _row(ctx: ReportContext, row: ServiceCostBenefit, service) -> tuple[str, ...]:
    p = _released(ctx, row)
    if "benefit" not in p:
        reason = row.reason or ("too_few_employed" if row.result is not None else "error")
        shown = p["participants"] if "participants" in p else p["participants_in_estimate"]
        return (service(row.service_code), ctx.num(shown), ctx.t(f"cba.reason.{reason}"), "", "", "", "", "", "")
    r = row.result
    ratio = ctx.num(r.ratio, 2) if r.benefit > 0 else "–"
    return (
        service(row.service_code),
        ctx.num(p["participants"]),
        f"{ctx.num(r.additional_employments, 1)} ({ctx.num(row.effect.ci_low, 1)} – {ctx.num(row.effect.ci_high, 1)})",
        ctx.num(r.gain_per_employment),
        ctx.num(r.cost),
        ctx.num(r.net),
        ratio,
        ctx.num(r.net_with_pension),
        _probability(ctx, row.monte_carlo.probability_benefit_exceeds_cost),
    )


def _table(ctx: ReportContext, rows: list[ServiceCostBenefit], service) -> Table:
    return Table(
        id="cba-services",
        caption=ctx.t("cba.by_service"),
        header=(
            ctx.t("services.service"),
            ctx.t("impact.participants"),
            ctx.t("cba.additional"),
            ctx.t("cba.gain"),
            ctx.t("cba.cost"),
            ctx.t("cba.net"),
            ctx.t("cba.ratio"),
            ctx.t("cba.net_with_pension"),
            ctx.t("cba.probability"),
        ),
        rows=tuple(_row(ctx, row, service) for row in rows),
        note=ctx.t("cba.table_note"),
    )


def _notes(ctx: ReportContext, rows: list[ServiceCostBenefit], service) -> list[Note]:  # rows: the shown ones
    """What each shown service's figures rest on beyond the method: the effect applied to
    participants the estimate trimmed, costs missing, benefits valued at the basic level."""
    notes = []
    for row in rows:
        name, p = service(row.service_code), _released(ctx, row)
        if row.in_estimate is not None and row.in_estimate != row.result.participants:
            notes.append(
                ctx.t(
                    "cba.note.extrapolated",
                    service=name,
                    kept=ctx.num(p["participants_in_estimate"]),
                    all=ctx.num(p["participants"]),
                )
            )
        if row.costs_missing:
            notes.append(ctx.t("cba.note.costs_missing", service=name, missing=ctx.num(p["costs_missing"])))
        if row.fallbacks:
            notes.append(ctx.t("cba.note.fallback", service=name, count=ctx.num(p.get("fallbacks"))))
    return [Note(" ".join(notes))] if notes else []


def _chart(ctx: ReportContext, shown: list[ServiceCostBenefit], service) -> Chart | None:
    svg = forest_chart(
        "cba-net",
        ctx.t("cba.chart_title"),
        [service(row.service_code) for row in shown],
        [row.result.per_participant(row.result.net) for row in shown],
        [
            (
                row.result.per_participant(row.monte_carlo.net_percentiles[5]),
                row.result.per_participant(row.monte_carlo.net_percentiles[95]),
            )
            for row in shown
        ],
        [row.result.per_participant(row.result.net_with_pension) for row in shown],
        value_label=ctx.t("cba.per_participant"),
        estimate_label=ctx.t("cba.legend_net"),
        naive_label=ctx.t("cba.legend_with_pension"),
    )
    return None if svg is None else Chart(svg, ctx.t("cba.chart_caption"))


def _tornado(ctx: ReportContext, shown: list[ServiceCostBenefit], service) -> Table:
    body = tuple(
        (service(row.service_code), ctx.t(f"cba.input.{bar.key}"), ctx.num(bar.net_at_low), ctx.num(bar.net_at_high))
        for row in shown
        for bar in row.tornado[:3]
    )
    return Table(
        id="cba-tornado",
        caption=ctx.t("cba.tornado"),
        header=(ctx.t("services.service"), ctx.t("cba.input"), ctx.t("cba.net_low"), ctx.t("cba.net_high")),
        rows=body,
    )


def _tornado_chart(ctx: ReportContext, shown: list[ServiceCostBenefit], service) -> Chart | None:
    """The tornado of the service with the most participants among those shown."""
    if not shown:
        return None
    row = max(shown, key=lambda r: r.result.participants)
    name = service(row.service_code)
    svg = tornado_chart(
        "cba-tornado-chart",
        ctx.t("cba.tornado_chart_title", service=name),
        [ctx.t(f"cba.input.{b.key}") for b in row.tornado],
        [b.net_at_low for b in row.tornado],
        [b.net_at_high for b in row.tornado],
        row.result.net,
        value_label=ctx.t("cba.net_euros"),
        low_label=ctx.t("cba.net_low"),
        high_label=ctx.t("cba.net_high"),
    )
    return None if svg is None else Chart(svg, ctx.t("cba.tornado_chart_caption", service=name))


def _analyse(store: Store, view) -> ServiceCostBenefit:  # type: ignore[no-untyped-def]
    """One service's analysis; a data problem in it (say, a wage that cannot be imputed)
    leaves that service's row empty, not the report."""
    try:
        return cost_benefit_of(store, view.service_code, view.rows, view.frame)
    except PolkuError as error:
        return ServiceCostBenefit(view.service_code, 0, None, note=error.what, reason="error")


@register("cost_benefit", "section.cost_benefit", 57)
def cost_benefit_section(store: Store, ctx: ReportContext) -> list[Block]:
    """Each service's cost-benefit analysis, its chart and what moves it."""
    if not store.con.execute("SELECT count(*) FROM service_episode").fetchall()[0][0]:
        return no_data(ctx)
    rows = [_analyse(store, view) for view in report_views(store, ctx)]
    service = service_labeler(store, ctx)
    years = sorted({row.year for row in rows if row.result is not None})
    blocks: list[Block] = [Note(ctx.t("cba.method", year=", ".join(map(str, years)) or "–")), _table(ctx, rows, service)]
    shown = [row for row in rows if _shown(ctx, row)]
    blocks += _notes(ctx, shown, service)
    blocks += [chart for chart in (_chart(ctx, shown, service), _tornado_chart(ctx, shown, service)) if chart is not None]
    blocks.append(_tornado(ctx, shown, service))
    return blocks
