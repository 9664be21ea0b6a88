"""Measurements and change goals: progress that is not yet employment."""

from __future__ import annotations

from polku.reports import queries
from polku.reports.blocks import Block, cross_table, distribution_table, no_data
from polku.reports.context import NONE, ReportContext
from polku.reports.registry import register
from polku.schema.codelists import codelist
from polku.store import Store


@register("progress", "section.progress", 60)
def progress_section(store: Store, ctx: ReportContext) -> list[Block]:
    """Measurements per instrument and item; goals by domain and status."""
    items = queries.measurement_items(store)
    goals = queries.goals_by_domain_and_status(store)
    if not items and not goals:
        return no_data(ctx)
    blocks: list[Block] = []
    if items:
        codes = codelist("measurement_item")
        by_item = {item: n for (_, item), n in items.items()}
        label = lambda item: (
            f"{ctx.label('instrument', str(codes.attributes.get(item, {}).get('instrument', NONE)))}: {ctx.label('measurement_item', item)}"
        )  # noqa: E731
        blocks.append(
            distribution_table(
                ctx, "measurements", ctx.t("progress.measurements"), ctx.t("progress.item"), by_item, label, codes.codes
            )
        )
    if goals:
        labels = (lambda k: ctx.label("goal_domain", k), lambda k: ctx.label("goal_status", k))
        orders = (codelist("goal_domain").codes, codelist("goal_status").codes)
        blocks.append(cross_table(ctx, "goals", ctx.t("progress.goals"), ctx.t("progress.domain"), goals, labels, orders))
    return blocks
