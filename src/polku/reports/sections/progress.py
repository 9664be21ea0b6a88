"""Measurements and change goals: progress that is not yet employment."""

from __future__ import annotations

import pandas as pd

from polku.pipeline.settings import AnalysisContext
from polku.reports import queries
from polku.reports.blocks import Block, cross_table, distribution_table, no_data
from polku.reports.context import NONE, ReportContext
from polku.reports.frames import count_frame, pairs_of, table
from polku.reports.registry import Results, register
from polku.schema.codelists import codelist
from polku.store import Store


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """Measurements per (instrument, item) and goals per (domain, status)."""
    return {
        "progress_measurements": count_frame(queries.measurement_items(store), "instrument", "item"),
        "progress_goals": count_frame(queries.goals_by_domain_and_status(store), "domain", "status"),
    }


@register("progress", "section.progress", 60, compute=compute)
def progress_section(results: Results, ctx: ReportContext) -> list[Block]:
    """Measurements per instrument and item; goals by domain and status."""
    items = pairs_of(table(results, "progress_measurements"))
    goals = pairs_of(table(results, "progress_goals"))
    if not items and not goals:
        return no_data(ctx)
    blocks: list[Block] = []
    if items:
        codes = codelist("measurement_item")
        by_item = {item: n for (_, item), n in items.items()}
        instrument = lambda item: str(codes.attributes.get(item, {}).get("instrument", NONE))  # noqa: E731
        label = lambda item: f"{ctx.label('instrument', instrument(item))}: {ctx.label('measurement_item', item)}"  # noqa: E731
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
