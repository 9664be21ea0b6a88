"""The own desk's seed model: the chance of work within 12 months without a service.

`polku analyse` fits it once (`polku.desk.expected`) and stores its terms, their covariance
and its held-out quality in the run; the web's own desk applies it to each client. The
report shows how good the model is, so that the figure a case worker sees can be judged.
"""

from __future__ import annotations

import pandas as pd

from polku.desk import expected
from polku.pipeline.settings import AnalysisContext
from polku.reports.blocks import Block, Note, count_text, figure_rows, no_data, share_text
from polku.reports.context import ReportContext
from polku.reports.registry import Results, register
from polku.store import Store


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """The seed model's tables (`desk_expected_terms`, `_covariance`, `_quality`)."""
    return expected.compute(store, analysis.settings.as_of, analysis.settings.seed)


@register("desk", "section.desk", 58, compute=compute)
def render(results: Results, ctx: ReportContext) -> list[Block]:
    if expected.QUALITY_TABLE not in results:
        return no_data(ctx)
    q = results[expected.QUALITY_TABLE].iloc[0]
    rows = int(q["reference_rows"])
    pairs = [
        ("desk.reference_rows", count_text(ctx, rows)),
        ("desk.employed_share", share_text(ctx, round(float(q["employed_share"]) * rows), rows)),
        ("desk.auc", ctx.num(q["auc"], 2) if pd.notna(q["auc"]) else "–"),
        ("desk.brier", ctx.num(q["brier"], 3) if pd.notna(q["brier"]) else "–"),
    ]
    note = ctx.t("desk.note", first=q["first_reference_date"], last=q["last_reference_date"])
    return [figure_rows(ctx, pairs), Note(note)]
