"""Employment spells: descriptive counts of the outcome, with no causal claim yet."""

from __future__ import annotations

import pandas as pd

from polku.pipeline.settings import AnalysisContext
from polku.reports import queries
from polku.reports.blocks import Block, Note, count_text, distribution_table, figure_rows, no_data, share_text
from polku.reports.context import ReportContext
from polku.reports.frames import count_frame, counts_of, table
from polku.reports.registry import Results, register
from polku.store import Store


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """The key counts (`employment_figures`: spells, persons, part-time, subsidised,
    wage missing) and spells by employer sector."""
    return {
        "employment_figures": count_frame(queries.employment_figures(store), "figure"),
        "employment_sectors": count_frame(queries.employment_sectors(store), "employer_sector"),
    }


@register("employment", "section.employment", 50, compute=compute)
def employment_section(results: Results, ctx: ReportContext) -> list[Block]:
    """Spells, persons, part-time, subsidised and wage-missing shares, and sectors."""
    figures = counts_of(table(results, "employment_figures"))
    spells = figures["spells"]
    if not spells:
        return no_data(ctx)
    key_figures = figure_rows(
        ctx,
        [
            ("employment.figure.spells", count_text(ctx, spells)),
            ("employment.figure.persons", count_text(ctx, figures["persons"])),
            ("employment.figure.part_time", share_text(ctx, figures["part_time"], spells)),
            ("employment.figure.subsidised", share_text(ctx, figures["subsidised"], spells)),
            ("employment.figure.wage_missing", share_text(ctx, figures["wage_missing"], spells)),
        ],
    )
    sectors = distribution_table(
        ctx,
        "employment-sector",
        ctx.t("employment.by_sector"),
        ctx.t("employment.sector"),
        counts_of(table(results, "employment_sectors")),
        lambda k: ctx.label("employer_sector", k),
    )
    return [Note(ctx.t("employment.no_causal_claim"), tone="warning"), key_figures, sectors]
