"""National comparison: the area's indicators as the nation defines them, and observed
against expected given its clients (`polku.national`; over the national register the
tables hold one row per area, from `polku national`).

Disclosure: every share and mean rests on the area's inflow, clients or open spells and
is withheld by `polku.sdc` when that count or its complement is small; O and E are shown
only when the inflow is at least T. The area funnel plot is drawn from
`national_expected` by the general funnel-plot module.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from polku import sdc
from polku.pipeline.settings import AnalysisContext
from polku.reports.blocks import Block, Note, Table, no_data
from polku.reports.context import ReportContext
from polku.reports.registry import Results, register
from polku.store import Store

SHARES = (("work_3m", "inflow"), ("work_6m", "inflow"), ("work_12m", "inflow"), ("over_3m_share", "inflow"))


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """`national_indicators` and `national_expected` over the store's area."""
    from polku.national.compute import national_tables  # the estimators load only when a run is computed

    return national_tables(store, seed=analysis.settings.seed, end=analysis.settings.as_of)


def _share(ctx: ReportContext, value: Any, n: Any) -> str:
    if value is None or pd.isna(value) or n is None or pd.isna(n):
        return sdc.MARKER
    return ctx.stat(sdc.share(int(round(float(value) * int(n))), int(n), t=ctx.threshold))


def _indicator_row(ctx: ReportContext, r: dict[str, Any]) -> tuple[str, ...]:
    inflow = r.get("inflow")
    days = sdc.mean(float(r["days_to_work"]) * int(inflow), int(inflow), t=ctx.threshold) if inflow else None
    return (
        str(r["area"]),
        ctx.num(sdc.separate_counts({"n": int(inflow or 0)}, t=ctx.threshold)[0]["n"]),
        ctx.stat(days, 0) if days else sdc.MARKER,
        *[_share(ctx, r.get(name), r.get(base)) for name, base in SHARES],
        _share(ctx, r.get("long_term_share"), r.get("open_spells")),
        _share(ctx, r.get("employment_coefficient"), r.get("service_clients")),
        ctx.num(r["contract_coefficient"], 2) if (r.get("service_clients") or 0) >= ctx.threshold else sdc.MARKER,
    )


def _expected_row(ctx: ReportContext, r: dict[str, Any]) -> tuple[str, ...]:
    shown = int(r["n"]) >= ctx.threshold and not sdc.is_sensitive(int(r["observed"]), ctx.threshold)
    cells = (r["observed"], r["expected"], r["ratio"]) if shown else (None, None, None)
    return (
        str(r["area"]),
        ctx.num(int(r["n"]) if int(r["n"]) >= ctx.threshold else None),
        ctx.num(cells[0]),
        ctx.num(cells[1], 1),
        ctx.num(cells[2], 2),
    )


@register("national", "section.national", 80, compute=compute)
def national_section(results: Results, ctx: ReportContext) -> list[Block]:
    """Indicators per area and observed against expected per area."""
    indicators, expected = results.get("national_indicators"), results.get("national_expected")
    if indicators is None or indicators.empty:
        return no_data(ctx)
    keys = ("area", "inflow", "days", "work_3m", "work_6m", "work_12m", "over_3m", "long_term", "employment", "contracts")
    table = Table(
        "national-indicators",
        ctx.t("national.indicators"),
        tuple(ctx.t(f"national.column.{k}") for k in keys),
        tuple(_indicator_row(ctx, r) for r in indicators.to_dict("records")),
    )
    blocks: list[Block] = [Note(ctx.t("national.definitions")), table]
    if expected is not None and not expected.empty:
        header = tuple(ctx.t(f"national.column.{k}") for k in ("area", "inflow", "observed", "expected", "ratio"))
        rows = tuple(_expected_row(ctx, r) for r in expected.to_dict("records"))
        blocks += [Table("national-expected", ctx.t("national.expected"), header, rows), Note(ctx.t("national.expected_note"))]
    return blocks
