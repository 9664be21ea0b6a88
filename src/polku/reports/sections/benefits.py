"""Benefits: which benefit spells the clients drew and who paid them (who saves later)."""

from __future__ import annotations

from polku.reports import queries
from polku.reports.blocks import Block, cross_table, no_data
from polku.reports.context import ReportContext
from polku.reports.registry import register
from polku.schema.codelists import codelist
from polku.store import Store


@register("benefits", "section.benefits", 20)
def benefits_section(store: Store, ctx: ReportContext) -> list[Block]:
    """Benefit spells by type and payer."""
    counts = queries.benefit_types_by_payer(store)
    if not counts:
        return no_data(ctx)
    labels = (lambda k: ctx.label("benefit_type", k), lambda k: ctx.label("benefit_payer", k))
    orders = (codelist("benefit_type").codes, codelist("benefit_payer").codes)
    return [
        cross_table(ctx, "benefits-type-payer", ctx.t("benefits.by_type_payer"), ctx.t("benefits.type"), counts, labels, orders)
    ]
