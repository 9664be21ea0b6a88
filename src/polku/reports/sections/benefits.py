"""Benefits: which benefit spells the clients drew and who paid them (who saves later)."""

from __future__ import annotations

import pandas as pd

from polku.pipeline.settings import AnalysisContext
from polku.reports import queries
from polku.reports.blocks import Block, cross_table, no_data
from polku.reports.context import ReportContext
from polku.reports.frames import count_frame, pairs_of, table
from polku.reports.registry import Results, register
from polku.schema.codelists import codelist
from polku.store import Store


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """Benefit spells by (benefit type, payer)."""
    return {"benefits_type_payer": count_frame(queries.benefit_types_by_payer(store), "benefit_type", "payer")}


@register("benefits", "section.benefits", 20, compute=compute)
def benefits_section(results: Results, ctx: ReportContext) -> list[Block]:
    """Benefit spells by type and payer."""
    counts = pairs_of(table(results, "benefits_type_payer"))
    if not counts:
        return no_data(ctx)
    labels = (lambda k: ctx.label("benefit_type", k), lambda k: ctx.label("benefit_payer", k))
    orders = (codelist("benefit_type").codes, codelist("benefit_payer").codes)
    return [
        cross_table(ctx, "benefits-type-payer", ctx.t("benefits.by_type_payer"), ctx.t("benefits.type"), counts, labels, orders)
    ]
