"""Providers: who delivers the services, and how their clients fare against what was expected.

Computed once per run (`compute`): the provider list, and the risk-adjusted comparison
and the creaming and parking monitors (`polku.providers.tables`) from the impact section's
fitted views. Shown from the stored tables alone, through the disclosure gate
(`polku.providers.release`): funnel plots of observed against expected employment, the
comparison table with the naive rates and the AIPW effect per provider beside it, and the
monitors. Rows are in the order of service and provider, never ranked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from polku import sdc
from polku.pipeline.settings import AnalysisContext
from polku.providers import funnel
from polku.providers.monitors import LOW_DECILES
from polku.providers.release import released_comparison, released_share
from polku.reports import queries
from polku.reports.blocks import Block, Chart, Heading, Labeler, Note, Table, no_data, sdc_note
from polku.reports.charts import FunnelPanel, funnel_panels
from polku.reports.context import ReportContext
from polku.reports.frames import table
from polku.reports.registry import Results, register
from polku.reports.sections.impact import analysis_views, released_estimates
from polku.reports.sections.impact_tables import TABLES as IMPACT_TABLES
from polku.reports.sections.services import provider_labeler, service_labeler
from polku.store import Store

COMPARISON_COLUMNS = ("row", "n", "o", "e", "ratio", "limits", "rating", "naive", "naive_rating", "aipw")
MONITOR_COLUMNS = ("row", "never", "never_low", "actions_low", "refused", "mean", "service_mean", "flags")


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """Every provider with its type, episodes and clients (`providers_list`), and the
    comparison and monitor tables (`polku.providers.tables.TABLES`)."""
    from polku.providers.tables import provider_tables  # the estimators load only when a run is computed

    s = analysis.settings
    tables = {"providers_list": queries.providers(store)}
    views = analysis_views(store, analysis)
    return tables | provider_tables(store, views, outcome=s.outcome, seed=s.seed, as_of=s.as_of)


def _list_table(results: Results, ctx: ReportContext) -> Table | None:
    rows = table(results, "providers_list").to_dict("records")
    if not rows:
        return None
    episodes = sdc.distribution({r["provider_id"]: int(r["episodes"]) for r in rows}, t=ctx.threshold)
    clients, hidden = sdc.separate_counts({r["provider_id"]: int(r["clients"]) for r in rows}, t=ctx.threshold)
    shown_episodes = episodes.column()
    body = tuple(
        (
            r["name"],
            ctx.label("provider_type", r["provider_type"]),
            ctx.num(shown_episodes[r["provider_id"]]),
            ctx.num(clients[r["provider_id"]]),
        )
        for r in rows
    )
    return Table(
        id="providers",
        caption=ctx.t("providers.table"),
        header=(ctx.t("providers.provider"), ctx.t("providers.type"), ctx.t("unit.episodes"), ctx.t("unit.clients")),
        rows=body,
        foot=(ctx.t("common.total"), "", ctx.num(episodes.total), ""),
        note=" ".join(filter(None, [ctx.t("providers.clients_note"), sdc_note(ctx, episodes.sdc_applied or hidden)])),
    )


def _percent(ctx: ReportContext, value: float | None) -> str:
    return "–" if value is None else ctx.num(100 * value, 1)


def _share(ctx: ReportContext, count: int, n: int) -> str:
    """A protected share in percent; a dash where there is nothing to share."""
    return "–" if not n else ctx.num(released_share(count, n, ctx.threshold), 1)


def _aipw(results: Results, ctx: ReportContext) -> dict[tuple[str, str], str]:
    """The impact section's released AIPW effect per provider and service, as shown there."""
    cells: dict[tuple[str, str], str] = {}
    if any(name not in results for name in IMPACT_TABLES):  # a run without the impact section's fits
        return cells
    for r in released_estimates(results, ctx.threshold):
        if r.get("level") == "service_provider" and r.get("estimate") is not None:
            interval = f"{ctx.num(100 * r['ci_low'], 1)} … {ctx.num(100 * r['ci_high'], 1)}"
            cells[(r["service_code"], r["provider_id"])] = f"{ctx.num(100 * r['estimate'], 1)} ({interval})"
    return cells


def _comparison_table(records: list[dict], results: Results, ctx: ReportContext, service: Labeler, provider: Labeler) -> Table:
    aipw = _aipw(results, ctx)
    body = []
    for r in records:
        limits = "–" if r["lower"] is None else f"{ctx.num(r['lower'], 2)} … {ctx.num(r['upper'], 2)}"
        body.append(
            (
                f"{service(r['service_code'])}: {provider(r['provider_id'])}",
                ctx.num(r["participants"]),
                ctx.num(r["observed"]),
                "–" if r["expected"] is None else ctx.num(r["expected"], 1),
                "–" if r["ratio"] is None else ctx.num(r["ratio"], 2),
                limits,
                ctx.t(f"providers.rating.{r['rating']}") if r["rating"] else "–",
                _percent(ctx, r["naive_rate"]),
                ctx.t(f"providers.rating.{r['naive_rating']}") if r["naive_rating"] else "–",
                aipw.get((r["service_code"], r["provider_id"]), "–"),
            )
        )
    header = tuple(ctx.t(f"providers.col.{k}") for k in COMPARISON_COLUMNS)
    withheld = any(r["withheld"] for r in records)
    return Table(
        id="providers-comparison",
        caption=ctx.t("providers.comparison_table"),
        header=header,
        rows=tuple(body),
        note=" ".join(filter(None, [ctx.t("providers.comparison_note"), sdc_note(ctx, withheld)])),
    )


def comparison_panels(records: list[dict], service: Labeler, provider: Labeler, dispersion: pd.DataFrame) -> list[FunnelPanel]:
    """One funnel per service of the released `records` (the provider's page passes its own alone)."""
    panels: list[FunnelPanel] = []
    for code in sorted({r["service_code"] for r in records}):
        shown = [r for r in records if r["service_code"] == code and r["ratio"] is not None]
        if not shown:
            continue
        row = dispersion[dispersion["service_code"] == code].iloc[0]
        spread = funnel.Dispersion(str(row["dispersion"]), float(row["phi"]), float(row["tau2"]), 0)
        top = max(r["expected"] for r in shown) * 1.15
        volumes = np.linspace(max(top / 60, 0.5), top, 60)
        target = float(row["target"])
        l95, u95 = funnel.limits("ratio", target, volumes, 0.95, dispersion=spread)
        l998, u998 = funnel.limits("ratio", target, volumes, 0.998, dispersion=spread)
        lines = list(zip(l95, u95, l998, u998))
        points = [(r["expected"], r["ratio"], provider(r["provider_id"])) for r in shown]
        panels.append((service(code), target, list(volumes), lines, points))
    return panels


def _low_actions(deciles: pd.DataFrame) -> dict[tuple[str, str], tuple[int, int]]:
    """(actions, participants) of each provider's clients in the service's lowest deciles."""
    low = deciles[deciles["decile"] <= LOW_DECILES].groupby(["service_code", "provider_id"])[["actions", "participants"]].sum()
    return {key: (int(r["actions"]), int(r["participants"])) for key, r in low.iterrows()}


def _monitor_table(
    frame: pd.DataFrame, deciles: pd.DataFrame, ctx: ReportContext, service: Labeler, provider: Labeler
) -> Table | None:
    if frame.empty:
        return None
    t, body, low = ctx.threshold, [], _low_actions(deciles)
    for r in frame.to_dict("records"):
        actions, n = low.get((r["service_code"], r["provider_id"]), (0, 0))
        flags = [ctx.t(f"providers.flag.{k}") for k in ("parking", "creaming") if r[f"{k}_flag"]]
        mean = sdc.mean(float(r["mean_expected"]) * int(r["participants"]), int(r["participants"]), t=t).value
        body.append(
            (
                f"{service(r['service_code'])}: {provider(r['provider_id'])}",
                _share(ctx, r["never_served"], r["participants"]),
                _share(ctx, r["low_never_served"], r["low_participants"]),
                ctx.num(sdc.mean(actions, n, t=t).value, 1),
                _share(ctx, r["refused"], r["referred"]),
                _percent(ctx, mean),
                _percent(ctx, float(r["service_mean_expected"])),
                ", ".join(flags) or "–",
            )
        )
    header = tuple(ctx.t(f"providers.monitor.{k}") for k in MONITOR_COLUMNS)
    return Table(
        id="providers-monitor",
        caption=ctx.t("providers.monitor_table"),
        header=header,
        rows=tuple(body),
        note=ctx.t("providers.monitor_note"),
    )


@register("providers", "section.providers", 40, compute=compute)
def providers_section(results: Results, ctx: ReportContext) -> list[Block]:
    """The provider list, then the funnels, the comparison and the monitors."""
    listing = _list_table(results, ctx)
    if listing is None:
        return no_data(ctx)
    blocks: list[Block] = [listing]
    comparison, monitor = table(results, "providers_comparison"), table(results, "providers_monitor")
    deciles, trends = table(results, "providers_deciles"), table(results, "providers_trends")
    if comparison.empty:
        return blocks
    service, provider = service_labeler(results, ctx), provider_labeler(results, ctx)
    records = released_comparison(comparison, ctx.threshold)
    blocks += [
        Heading(ctx.t("providers.comparison_heading"), "providers-comparison-heading"),
        Note(ctx.t("providers.method_note")),
    ]
    svg = funnel_panels(
        "providers-funnel",
        ctx.t("providers.funnel_title"),
        comparison_panels(records, service, provider, comparison),
        volume_label=ctx.t("providers.funnel_volume"),
        value_label=ctx.t("providers.funnel_value"),
        limit_labels=(ctx.t("providers.limit95"), ctx.t("providers.limit998")),
    )
    if svg:
        blocks.append(Chart(svg, ctx.t("providers.funnel_caption"), id="providers-funnel"))
    blocks.append(_comparison_table(records, results, ctx, service, provider))
    shown = _monitor_table(monitor, deciles, ctx, service, provider)
    if shown is not None:
        blocks += [Heading(ctx.t("providers.monitor_heading"), "providers-monitor-heading"), shown]
    if not trends.empty:
        blocks.append(_trends_table(trends, ctx, service, provider))
    return blocks


def _trends_table(trends: pd.DataFrame, ctx: ReportContext, service: Labeler, provider: Labeler) -> Table:
    """O/E by contract period (calendar year), shown where the period's clients and their
    employed and not-employed counts pass the gate."""
    periods = sorted(trends["period"].unique())
    body, withheld = [], False
    for (code, pid), part in trends.groupby(["service_code", "provider_id"], sort=True):
        cells = {}
        for r in part.to_dict("records"):
            hidden = sdc.share(int(r["observed"]), int(r["participants"]), t=ctx.threshold).sdc_applied
            withheld |= hidden
            cells[r["period"]] = sdc.MARKER if hidden or not r["expected"] else ctx.num(r["observed"] / r["expected"], 2)
        body.append((f"{service(code)}: {provider(pid)}", *(cells.get(p, "–") for p in periods)))
    return Table(
        id="providers-trends",
        caption=ctx.t("providers.trends_table"),
        header=(ctx.t("providers.col.row"), *periods),
        rows=tuple(body),
        note=" ".join(filter(None, [ctx.t("providers.trends_note"), sdc_note(ctx, withheld)])),
    )
