"""Providers: who delivers the services, with how many episodes and clients."""

from __future__ import annotations

import pandas as pd

from polku import sdc
from polku.pipeline.settings import AnalysisContext
from polku.reports import queries
from polku.reports.blocks import Block, Table, no_data, sdc_note
from polku.reports.context import ReportContext
from polku.reports.frames import table
from polku.reports.registry import Results, register
from polku.store import Store


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """Every provider with its type, episodes and distinct clients (`providers_list`)."""
    return {"providers_list": queries.providers(store)}


@register("providers", "section.providers", 40, compute=compute)
def providers_section(results: Results, ctx: ReportContext) -> list[Block]:
    """One row per provider; episodes carry a protected total, clients stand alone."""
    rows = table(results, "providers_list").to_dict("records")
    if not rows:
        return no_data(ctx)
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
    table_block = Table(
        id="providers",
        caption=ctx.t("providers.table"),
        header=(ctx.t("providers.provider"), ctx.t("providers.type"), ctx.t("unit.episodes"), ctx.t("unit.clients")),
        rows=body,
        foot=(ctx.t("common.total"), "", ctx.num(episodes.total), ""),
        note=" ".join(filter(None, [ctx.t("providers.clients_note"), sdc_note(ctx, episodes.sdc_applied or hidden)])),
    )
    return [table_block]
