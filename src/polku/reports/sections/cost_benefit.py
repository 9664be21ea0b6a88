"""Cost-benefit: what each service's additional employments return to the public purse.

Computed once per analysis run from the impact section's estimates (the same fitted rows,
`analysis_views`; tables in `cba_tables`) and shown from the stored tables alone: the additional
employments with their interval, the fiscal gain of one employment at the participants'
own jobs under the year's Finnish rules, the programme cost, the net benefit and ratio
without and with pension contributions, and the Monte Carlo's probability that benefits
exceed costs (`polku.cba.store`). A chart shows the net benefit per participant with its
5-95 % Monte Carlo range; a table the inputs that move it most. A service whose
participants who found work are fewer than the disclosure threshold shows no money figures
(their mean gain would describe a handful of people). Nor does a service whose participants
left out of the estimate (trimmed) are a small count while the impact table shows the
participants in the estimate: all participants beside them would give that count away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from polku import sdc
from polku.cba.analysis import CostBenefit, MonteCarlo
from polku.cba.store import ServiceCostBenefit, cost_benefit_of
from polku.errors import PolkuError
from polku.pipeline.settings import AnalysisContext
from polku.pipeline.views import ServiceView
from polku.reports.blocks import Block, Chart, Labeler, Note, Table, no_data
from polku.reports.charts import forest_chart, tornado_chart
from polku.reports.context import ReportContext
from polku.reports.registry import register
from polku.reports.sections.cba_tables import cba_tables, stored_cost_benefit
from polku.reports.sections.impact import OUTCOME, analysis_views, released_estimates
from polku.reports.sections.impact_consistency import cross_table
from polku.reports.sections.impact_tables import StoredView, stored_views
from polku.reports.sections.services import service_labeler
from polku.store import Store

Released = dict[str, Any]


def released_cost_benefit(
    rows: Sequence[ServiceCostBenefit], estimates: Sequence[Released], views: Sequence[StoredView], threshold: int
) -> list[Released]:
    """Each row through the gate, its participants hidden where they differ by a small count
    from a count the impact section shows for the service (`impact_consistency`: the
    estimates as `released_estimates` lets them out, and the views), so that no count is
    found by subtracting one table's from another's."""
    hidden = cross_table(views, estimates, threshold, rows).cost_benefit
    out = []
    for row in rows:
        hide = frozenset({"participants"}) if row.service_code in hidden else frozenset()
        out.append(sdc.release_cost_benefit(row.to_dict(), t=threshold, hide=hide) | {"hidden_with_impact": bool(hide)})
    return out


def _probability(ctx: ReportContext, p: float) -> str:
    if p > 0.99:
        return "> 99 %"
    if p < 0.01:
        return "< 1 %"
    return f"{ctx.num(100 * p)} %"


def _row(ctx: ReportContext, row: ServiceCostBenefit, p: Released, service: Labeler) -> tuple[str, ...]:
    if "benefit" not in p or row.result is None or row.effect is None or row.monte_carlo is None:
        reason = (
            "trimmed_few"
            if p["hidden_with_impact"]
            else row.reason or ("too_few_employed" if row.result is not None else "error")
        )
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


def _table(ctx: ReportContext, rows: Sequence[ServiceCostBenefit], released: Sequence[Released], service: Labeler) -> Table:
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
        rows=tuple(_row(ctx, row, p, service) for row, p in zip(rows, released, strict=True)),
        note=ctx.t("cba.table_note"),
    )


def _notes(ctx: ReportContext, shown: Sequence[tuple[ServiceCostBenefit, Released]], service: Labeler) -> list[Note]:
    """What each shown service's figures rest on beyond the method: the effect applied to
    participants the estimate trimmed, costs missing, benefits valued at the basic level."""
    notes = []
    for row, p in shown:
        name = service(row.service_code)
        if row.in_estimate is not None and row.result is not None and row.in_estimate != row.result.participants:
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


def _money(row: ServiceCostBenefit) -> tuple[CostBenefit, MonteCarlo]:
    """A shown row's result and Monte Carlo (a row is shown only with both)."""
    if row.result is None or row.monte_carlo is None:
        raise ValueError(f"the cost-benefit row of {row.service_code} has no result to show")
    return row.result, row.monte_carlo


def _chart(ctx: ReportContext, shown: list[ServiceCostBenefit], service: Labeler) -> Chart | None:
    money = [_money(row) for row in shown]
    svg = forest_chart(
        "cba-net",
        ctx.t("cba.chart_title"),
        [service(row.service_code) for row in shown],
        [r.per_participant(r.net) for r, _ in money],
        [(r.per_participant(mc.net_percentiles[5]), r.per_participant(mc.net_percentiles[95])) for r, mc in money],
        [r.per_participant(r.net_with_pension) for r, _ in money],
        value_label=ctx.t("cba.per_participant"),
        estimate_label=ctx.t("cba.legend_net"),
        naive_label=ctx.t("cba.legend_with_pension"),
    )
    return None if svg is None else Chart(svg, ctx.t("cba.chart_caption"))


def _tornado(ctx: ReportContext, shown: list[ServiceCostBenefit], service: Labeler) -> Table:
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


def _tornado_chart(ctx: ReportContext, shown: list[ServiceCostBenefit], service: Labeler) -> Chart | None:
    """The tornado of the service with the most participants among those shown."""
    if not shown:
        return None
    row = max(shown, key=lambda r: _money(r)[0].participants)
    name = service(row.service_code)
    svg = tornado_chart(
        "cba-tornado-chart",
        ctx.t("cba.tornado_chart_title", service=name),
        [ctx.t(f"cba.input.{b.key}") for b in row.tornado],
        [b.net_at_low for b in row.tornado],
        [b.net_at_high for b in row.tornado],
        _money(row)[0].net,
        value_label=ctx.t("cba.net_euros"),
        low_label=ctx.t("cba.net_low"),
        high_label=ctx.t("cba.net_high"),
    )
    return None if svg is None else Chart(svg, ctx.t("cba.tornado_chart_caption", service=name))


def _analyse(store: Store, view: ServiceView, seed: int = 0) -> ServiceCostBenefit:
    """One service's analysis; a data problem in it (say, a wage that cannot be imputed)
    leaves that service's row empty, not the report."""
    try:
        return cost_benefit_of(store, view.service_code, view.rows, view.frame, seed=seed)
    except PolkuError as error:
        return ServiceCostBenefit(view.service_code, 0, None, note=error.what, reason="error")


def compute_cost_benefit(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """The cost-benefit tables of a run (`cba_tables.TABLES`): each service's analysis of
    its effect on employment within 12 months (none for another outcome)."""
    if analysis.settings.outcome != OUTCOME:
        return cba_tables([])
    return cba_tables([_analyse(store, view, analysis.settings.seed) for view in analysis_views(store, analysis)])


def cost_benefit_blocks(
    ctx: ReportContext,
    rows: Sequence[ServiceCostBenefit],
    estimates: Sequence[Released],
    views: Sequence[StoredView],
    service: Labeler,
) -> list[Block]:
    """Every block of the section from the services' rows, and the impact section's released
    estimates and views (whose counts this section's must not contradict)."""
    released = released_cost_benefit(rows, estimates, views, ctx.threshold)
    years = sorted({row.year for row in rows if row.result is not None})
    blocks: list[Block] = [
        Note(ctx.t("cba.method", year=", ".join(map(str, years)) or "–")),
        _table(ctx, rows, released, service),
    ]
    pairs = [(row, p) for row, p in zip(rows, released, strict=True) if "benefit" in p]
    shown = [row for row, _ in pairs]
    blocks += _notes(ctx, pairs, service)
    blocks += [chart for chart in (_chart(ctx, shown, service), _tornado_chart(ctx, shown, service)) if chart is not None]
    blocks.append(_tornado(ctx, shown, service))
    return blocks


@register("cost_benefit", "section.cost_benefit", 57, compute=compute_cost_benefit)
def cost_benefit_section(results: Mapping[str, pd.DataFrame], ctx: ReportContext) -> list[Block]:
    """Each service's cost-benefit analysis, its chart and what moves it."""
    rows = stored_cost_benefit(results)
    if not rows:
        return no_data(ctx)
    views = stored_views(results)
    estimates = released_estimates(results, ctx.threshold)
    return cost_benefit_blocks(ctx, rows, estimates, views, service_labeler(results, ctx))
