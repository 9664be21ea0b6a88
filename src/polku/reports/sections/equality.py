"""Equal treatment: differences between groups of clients that exceed chance.

Computed once per analysis run (`polku.equality.compute`, tables `equality_*`) and shown
from the stored tables alone, through the disclosure gate: the flagged differences (Holm-
adjusted p below 0.05 over every comparison of the run), then each measure's comparisons
by attribute and group.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from polku.equality.record import SCHEMAS, equality_record, release_equality
from polku.pipeline.settings import AnalysisContext
from polku.reports.blocks import Block, Note, Table, no_data, sdc_note
from polku.reports.context import ReportContext
from polku.reports.registry import Results, register
from polku.reports.sections.impact import analysis_views
from polku.store import Store

TITLES = {
    "allocation": "equality.allocation",
    "time": "equality.time",
    "outcomes": "equality.outcome",
    "calibration": "equality.calibration",
    "effects": "equality.effects",
}


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """The `equality_*` tables from the services' views (fitted once per run)."""
    from polku.equality.compute import equality_tables  # the estimators load only when a run is computed

    s = analysis.settings
    return equality_tables(store, analysis_views(store, analysis), s.method, s.seed)


def _value(ctx: ReportContext, value: Any, digits: int = 1) -> str:
    return ".." if value is None else ctx.num(value, digits)


def _cells(ctx: ReportContext, r: dict[str, Any]) -> tuple[str, ...]:
    if r["measure"] == "effects":
        observed = f"{_value(ctx, r['group_estimate'] and 100 * r['group_estimate'])}"
        expected = f"{_value(ctx, r['rest_estimate'] and 100 * r['rest_estimate'])}"
    elif r["measure"] == "time":
        observed, expected = _value(ctx, r["median_days"], 0), _value(ctx, r["expected"])
    else:
        observed, expected = _value(ctx, r["observed"]), _value(ctx, r["expected"])
    label = f"{r['level']}" + (f" · {r['service_code']}" if r.get("service_code") else "")
    flag = ctx.t("equality.flagged") if r.get("flagged") else ""
    return (r["attribute"], label, _value(ctx, r["people"], 0), observed, expected, _value(ctx, r.get("p_adjusted"), 3), flag)


def _table(ctx: ReportContext, measure: str, rows: list[dict[str, Any]]) -> Table:
    return Table(
        id=f"equality-{measure}",
        caption=ctx.t(TITLES[measure]),
        header=(
            ctx.t("equality.attribute"),
            ctx.t("equality.level"),
            ctx.t("unit.clients"),
            ctx.t("equality.observed"),
            ctx.t("equality.expected"),
            ctx.t("equality.p_adjusted"),
            ctx.t("equality.flag"),
        ),
        rows=tuple(_cells(ctx, r) for r in rows),
        note=" ".join(filter(None, [ctx.t("equality.table_note"), sdc_note(ctx, any(r["sdc_applied"] for r in rows))])),
    )


@register("equality", "section.equality", 78, compute=compute)
def equality_section(results: Results, ctx: ReportContext) -> list[Block]:
    """A note on the test, whether anything is flagged, then one table per measure."""
    if any(name not in results for name in SCHEMAS):
        return no_data(ctx)
    record = release_equality(equality_record(results), t=ctx.threshold)
    shown = [r for r in record["rows"] if r["people"] is not None]
    if not shown:
        return no_data(ctx)
    blocks: list[Block] = [Note(ctx.t("equality.intro"))]
    if not any(r.get("flagged") for r in shown):
        blocks.append(Note(ctx.t("equality.none_flagged")))
    for measure in TITLES:
        rows = [r for r in shown if r["measure"] == measure]
        if rows:
            blocks.append(_table(ctx, measure, rows))
    return blocks
