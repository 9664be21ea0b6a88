"""Impact: what each service added to employment within 12 months, with intervals.

Computed once per analysis run (`compute_impact`, tables in `impact_tables`) and shown
from the stored tables alone (`impact_section`). Doubly robust AIPW estimates over the
store (`polku.pipeline.by_service`): participants against job seekers registered on the
same day who had not yet started a service, those who start one later followed until
then, with the doubly robust censoring correction (`polku.cohort.augmented`). Effects are
shown in percentage points with their 95 % intervals, beside the naive difference a plain comparison would give. Estimates
for fewer than 60 participants are not shown (the row says so).

Then, from the same cohort (`polku.pipeline.store_views`, blocks in `impact_views`):
time to employment for participants and the weighted comparison group, expected versus
observed employment by client group, and the checks: balance (love
plot), overlap of propensity scores, the negative-control outcome and placebo treatment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from polku import sdc
from polku.pipeline.settings import AnalysisContext
from polku.pipeline.views import ServiceEstimate, ServiceView
from polku.reports.blocks import Block, Chart, Labeler, Note, Table, no_data, sdc_note
from polku.reports.charts import forest_chart
from polku.reports.context import ReportContext
from polku.reports.plain import months_of, plain_words
from polku.reports.registry import Results, register
from polku.reports.sections.impact_consistency import cross_table
from polku.reports.sections.impact_tables import StoredView, impact_tables, stored_views
from polku.reports.sections.impact_views import percent_points, percent_points_interval, view_blocks
from polku.reports.sections.services import provider_labeler, service_labeler
from polku.store import Store

OUTCOME = "employed_12m"
VIEWS = "impact_views"
"""The analysis cache's key for the services' views (`polku.engine.run` fills it on Spark)."""


def analysis_views(store: Store, analysis: AnalysisContext) -> list[ServiceView]:
    """The services' estimates and views under the run's settings, fitted once per run for
    every section that stores them (impact, cost-benefit)."""
    if VIEWS not in analysis.computed:
        from polku.pipeline.store_views import store_views  # the estimators: only when a run is computed

        s = analysis.settings
        analysis.computed[VIEWS] = store_views(
            store, outcome=s.outcome, method=s.method, seed=s.seed, as_of=s.as_of, cohorts=analysis.cohorts(store)
        )
    return analysis.computed[VIEWS]


def compute_impact(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """The impact tables of a run (`impact_tables.TABLES`)."""
    return impact_tables(analysis_views(store, analysis), store)


Released = dict[str, Any]
"""An estimate record as `sdc.release_estimates` lets it out."""


def released_rows(threshold: int, rows: list[ServiceEstimate]) -> list[Released]:
    """The rows' records through the disclosure gate, all together so that a client group's
    or provider's hidden participants cannot be found from the service's."""
    return sdc.release_estimates([row.to_dict() for row in rows], t=threshold)


def released_estimates(results: Results, threshold: int) -> list[Released]:
    """Every stored estimate as the impact section shows it (other sections that quote an
    estimate take it from here, so they show the same figures)."""
    return released_rows(threshold, [row for view in stored_views(results) for row in view.rows])


def _effect_cells(ctx: ReportContext, r: Released) -> tuple[str, ...]:
    if r["estimate"] is None:
        return (ctx.num(r["n_treated"]), ctx.t("impact.too_few"), "", "")
    interval = percent_points_interval(ctx, r["ci_low"], r["ci_high"])
    return (ctx.num(r["n_treated"]), percent_points(ctx, r["estimate"]), interval, percent_points(ctx, r["naive_difference"]))


def _service_table(ctx: ReportContext, rows: list[Released], service: Labeler) -> Table:
    body = []
    for r in rows:
        balance = "–" if r["max_smd_after"] is None else ctx.num(r["max_smd_after"], 2)
        body.append((service(r["service_code"]), *_effect_cells(ctx, r), ctx.num(r["n_control"]), balance))
    return Table(
        id="impact-services",
        caption=ctx.t("impact.by_service"),
        header=(
            ctx.t("services.service"),
            ctx.t("impact.participants"),
            ctx.t("impact.effect"),
            ctx.t("impact.interval"),
            ctx.t("impact.naive"),
            ctx.t("impact.comparison"),
            ctx.t("impact.balance"),
        ),
        rows=tuple(body),
        note=" ".join(filter(None, [ctx.t("impact.table_note"), sdc_note(ctx, any(r["sdc_applied"] for r in rows))])),
    )


def _sentence(ctx: ReportContext, r: Released) -> str:
    months = months_of(str(r["outcome"]))
    return plain_words(ctx.lang, r["outcome_mean_treated"], r["estimate"], r["ci_low"], r["ci_high"], months)


def _plain_table(ctx: ReportContext, rows: list[Released], service: Labeler) -> Table:
    """Each shown effect as a sentence about 100 participants, from the same released figures."""
    keys = ("outcome_mean_treated", "estimate", "ci_low", "ci_high")
    body = tuple((service(r["service_code"]), _sentence(ctx, r)) for r in rows if all(r[k] is not None for k in keys))
    return Table(
        id="impact-plain",
        caption=ctx.t("impact.plain.caption"),
        header=(ctx.t("services.service"), ctx.t("summary.effect")),
        rows=body,
        note=ctx.t("impact.plain.note"),
    )


def _detail_table(
    ctx: ReportContext,
    rows: list[Released],
    service: Labeler,
    label: Callable[[Released], str],
    table_id: str,
    caption: str,
    head: str,
) -> Table:
    body = tuple((service(r["service_code"]), label(r), *_effect_cells(ctx, r)) for r in rows)
    return Table(
        id=table_id,
        caption=caption,
        header=(
            ctx.t("services.service"),
            head,
            ctx.t("impact.participants"),
            ctx.t("impact.effect"),
            ctx.t("impact.interval"),
            ctx.t("impact.naive"),
        ),
        rows=body,
        note=sdc_note(ctx, any(r["sdc_applied"] for r in rows)),
    )


def _forest(ctx: ReportContext, rows: list[Released], service: Labeler) -> Chart | None:
    shown = [r for r in rows if r["estimate"] is not None]
    svg = forest_chart(
        "impact-forest",
        ctx.t("impact.chart_title"),
        [service(r["service_code"]) for r in shown],
        [100 * r["estimate"] for r in shown],
        [(100 * r["ci_low"], 100 * r["ci_high"]) for r in shown],
        [None if r["naive_difference"] is None else 100 * r["naive_difference"] for r in shown],
        value_label=ctx.t("impact.points"),
        estimate_label=ctx.t("impact.legend_estimate"),
        naive_label=ctx.t("impact.legend_naive"),
    )
    return None if svg is None else Chart(svg, ctx.t("impact.chart_caption"))


def impact_blocks(ctx: ReportContext, views: Sequence[StoredView], service: Labeler, provider: Labeler) -> list[Block]:
    """Every block of the section from the services' views (stored, or just fitted)."""
    rows = released_rows(ctx.threshold, [row for view in views for row in view.rows])
    cross = cross_table(views, rows, ctx.threshold)
    at: Callable[[str], list[Released]] = lambda level: [r for r in rows if r["level"] == level]  # noqa: E731
    blocks: list[Block] = [Note(ctx.t("impact.warning"), tone="warning"), Note(ctx.t("impact.method"))]
    blocks.append(_service_table(ctx, at("service"), service))
    blocks.append(_plain_table(ctx, at("service"), service))
    chart = _forest(ctx, at("service"), service)
    if chart is not None:
        blocks.append(chart)
    blocks.append(
        _detail_table(
            ctx,
            at("service_group"),
            service,
            lambda r: ctx.t(f"impact.group.{r['client_group']}"),
            "impact-groups",
            ctx.t("impact.by_group"),
            ctx.t("impact.group"),
        )
    )
    blocks.append(
        _detail_table(
            ctx,
            at("service_provider"),
            service,
            lambda r: provider(r["provider_id"]),
            "impact-providers",
            ctx.t("impact.by_provider"),
            ctx.t("impact.provider"),
        )
    )
    return blocks + view_blocks(ctx, views, service, cross)


@register("impact", "section.impact", 55, compute=compute_impact)
def impact_section(results: Mapping[str, pd.DataFrame], ctx: ReportContext) -> list[Block]:
    """Effects by service, by client group and by provider on employment within 12 months,
    then time to work, observed versus expected and the checks behind the estimates."""
    views = stored_views(results)
    if not views:
        return no_data(ctx)
    return impact_blocks(ctx, views, service_labeler(results, ctx), provider_labeler(results, ctx))
