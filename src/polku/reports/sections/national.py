"""National comparison: the area's indicators as the nation defines them, and observed
against expected given its clients (`polku.national`; over the national register the
tables hold one row per area, from `polku national`).

Disclosure: every share and mean rests on the area's inflow, clients or open spells and
is withheld by `polku.sdc` when that count or its complement is small; O and E are shown
only when the inflow is at least T. The area funnel plot (`area_panel`): each shown area's
O/E against its inflow, around 1 (the nation), with the 95 % and 99.8 % limits of
`national_expected` (Spiegelhalter's normal limits of the risk-adjusted share around the
national share, from the general funnel-plot module `polku.providers.funnel`) divided by the
national share, so that they are limits of O/E; drawn by the report's one funnel chart
(`polku.reports.charts.funnel_panels`), as the providers section draws its funnels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from polku import sdc
from polku.pipeline.settings import AnalysisContext
from polku.providers import funnel
from polku.reports.blocks import Block, Chart, Note, Table, no_data
from polku.reports.charts import FunnelPanel, funnel_panels
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


def _shown(r: dict[str, Any], t: int) -> bool:
    """An area's O and E are shown when its inflow is at least T and its observed count not small."""
    return int(r["n"]) >= t and not sdc.is_sensitive(int(r["observed"]), t)


def ratio_limits(national: float, volumes: Sequence[float]) -> list[tuple[float, float, float, float]]:
    """The funnel's (lower 95, upper 95, lower 99.8, upper 99.8) limits of O/E at each inflow:
    the normal limits of the share around the national share, over the national share."""
    l95, u95 = funnel.limits("proportion", national, volumes, 0.95, method="normal")
    l998, u998 = funnel.limits("proportion", national, volumes, 0.998, method="normal")
    return [(a / national, b / national, c / national, d / national) for a, b, c, d in zip(l95, u95, l998, u998)]


def area_panel(expected: pd.DataFrame, t: int, title: str) -> FunnelPanel | None:
    """The areas' funnel: each shown area's O/E against its inflow, around 1; None when no
    area is shown or nobody found work."""
    rows = [r for r in expected.to_dict("records") if _shown(r, t) and pd.notna(r["ratio"])]
    national = float(expected["national_share"].iloc[0]) if len(expected) else 0.0
    if not rows or not 0 < national < 1:
        return None
    top = max(int(r["n"]) for r in rows) * 1.15
    volumes = list(np.linspace(max(top / 60, 1.0), top, 60))
    points = [(float(r["n"]), float(r["ratio"]), str(r["area"])) for r in rows]
    return (title, 1.0, volumes, ratio_limits(national, volumes), points)


def _funnel(ctx: ReportContext, expected: pd.DataFrame) -> Chart | None:
    panel = area_panel(expected, ctx.threshold, ctx.t("national.funnel_panel"))
    svg = funnel_panels(
        "national-funnel",
        ctx.t("national.funnel_title"),
        [panel] if panel else [],
        volume_label=ctx.t("national.funnel_volume"),
        value_label=ctx.t("national.funnel_value"),
        limit_labels=(ctx.t("providers.limit95"), ctx.t("providers.limit998")),
    )
    return None if svg is None else Chart(svg, ctx.t("national.funnel_caption"), id="national-funnel")


def _expected_row(ctx: ReportContext, r: dict[str, Any], labour: bool) -> tuple[str, ...]:
    shown = _shown(r, ctx.threshold)
    cells = (r["observed"], r["expected"], r["ratio"], r.get("ratio_clients")) if shown else (None,) * 4
    row = (
        str(r["area"]),
        ctx.num(int(r["n"]) if int(r["n"]) >= ctx.threshold else None),
        ctx.num(cells[0]),
        ctx.num(cells[1], 1),
        ctx.num(cells[2], 2),
    )
    return (*row, ctx.num(cells[3], 2)) if labour else row


def _labour_adjusted(expected: pd.DataFrame) -> bool:
    """Whether E is given the areas' labour market too (a register with published rates)."""
    return "labour_market_adjusted" in expected and bool(expected["labour_market_adjusted"].fillna(False).all())


def released_impact(impact: pd.DataFrame, t: int) -> list[dict[str, Any]]:
    """`national_impact`'s rows as the gate lets them out: each (area, service) an estimate of
    its own (no margins add up across areas), so small counts and the estimates on them are
    withheld by `sdc.release_estimates`; the true effect (synthetic registers only) with its
    estimate."""
    records = [
        {
            "level": "area_service",
            "service_code": r["service_code"],
            "n_treated": r["participants"],
            "n_control": r["comparison"],
            "estimate": None if pd.isna(r["estimate"]) else float(r["estimate"]),
            "ci_low": None if pd.isna(r["lower"]) else float(r["lower"]),
            "ci_high": None if pd.isna(r["upper"]) else float(r["upper"]),
            "note": r["note"] if isinstance(r["note"], str) else None,
        }
        for r in impact.to_dict("records")
    ]
    released = sdc.release_estimates(records, t=t)
    return [
        out | {"area": r["area"], "true_att": r["true_att"] if out["estimate"] is not None else None}
        for out, r in zip(released, impact.to_dict("records"))
    ]


def _impact_table(ctx: ReportContext, impact: pd.DataFrame) -> Table:
    """The effect of each service in each area on work within 12 months, with its interval."""
    from polku.reports.sections.impact_views import percent_points, percent_points_interval

    keys = ("area", "service", "participants", "effect", "interval", "truth")
    rows = []
    for r in released_impact(impact, ctx.threshold):
        truth = r["true_att"]
        effect = percent_points(ctx, r["estimate"]) if r["estimate"] is not None else ctx.t("impact.too_few")
        rows.append(
            (
                str(r["area"]),
                str(r["service_code"]),
                ctx.num(r["n_treated"]),
                effect,
                percent_points_interval(ctx, r["ci_low"], r["ci_high"]),
                "–" if truth is None or pd.isna(truth) else percent_points(ctx, float(truth)),
            )
        )
    return Table("national-impact", ctx.t("national.impact"), tuple(ctx.t(f"national.column.{k}") for k in keys), tuple(rows))


@register("national", "section.national", 80, compute=compute, kinds=("area", "register"))
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
        labour = _labour_adjusted(expected)
        keys = ("area", "inflow", "observed", "expected", "ratio", *(("ratio_clients",) if labour else ()))
        header = tuple(ctx.t(f"national.column.{k}") for k in keys)
        rows = tuple(_expected_row(ctx, r, labour) for r in expected.to_dict("records"))
        title, note = ("national.expected", "national.expected_note")
        if labour:
            title, note = ("national.expected_labour", "national.expected_labour_note")
        blocks += [Table("national-expected", ctx.t(title), header, rows), Note(ctx.t(note))]
        chart = _funnel(ctx, expected)
        if chart is not None:
            blocks.append(chart)
    impact = results.get("national_impact")
    if impact is not None and not impact.empty:
        blocks += [_impact_table(ctx, impact), Note(ctx.t("national.impact_note"))]
    return blocks
