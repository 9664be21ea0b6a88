"""Change before employment: reliable change per instrument item and per service, and goal
attainment (GAS T-scores), from the `change_*` tables of the run.

These are before-and-after figures of the people measured, not effects of services: no
comparison group stands behind them. The effects, against comparison people at a matched
pseudo-start, are the next section's (`change_effects`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from polku import sdc
from polku.change.measures import CLASSES, GAS_BANDS, summaries
from polku.change.record import change_record
from polku.pipeline.settings import AnalysisContext
from polku.reports.blocks import Block, Figures, Heading, Note, Table, distribution_table, no_data, sdc_note
from polku.reports.context import ReportContext
from polku.reports.frames import table
from polku.reports.registry import Results, register
from polku.reports.sections.services import service_labeler
from polku.store import Store

TABLES = ("change_items", "change_services", "change_gas", "change_gas_levels")
LEVELS = ("-2", "-1", "0", "1", "2")


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """Change from the first to the latest measurement per item, per service and period,
    and the clients' GAS T-scores (polku.change.measures)."""
    return summaries(store)


def _item_label(ctx: ReportContext, row: dict[str, Any]) -> str:
    return f"{ctx.label('instrument', row['instrument'])}: {ctx.label('measurement_item', row['item'])}"


def _interval(ctx: ReportContext, row: dict[str, Any], low: str, high: str) -> str:
    if row.get(low) is None or row.get(high) is None:
        return sdc.MARKER
    return f"{ctx.num(row[low], 2)} … {ctx.num(row[high], 2)}"


def _class_table(ctx: ReportContext, id: str, caption: str, head: str, rows: list[tuple[str, dict[str, Any]]]) -> Table:
    """Clients improved / unchanged / worsened, then the mean change with its interval."""
    body = tuple(
        (
            label,
            *(ctx.num(r[c]) for c in CLASSES),
            ctx.num(r["clients"]),
            ctx.num(r["mean_change"], 2),
            _interval(ctx, r, "ci_low", "ci_high"),
        )
        for label, r in rows
    )
    hidden = any(v is None for _, r in rows for v in (r["clients"], *(r[c] for c in CLASSES)))
    header = (
        head,
        *(ctx.t(f"change.{c}") for c in CLASSES),
        ctx.t("common.total"),
        ctx.t("change.mean"),
        ctx.t("change.interval"),
    )
    return Table(id=id, caption=caption, header=header, rows=body, note=sdc_note(ctx, hidden))


def _distance_table(ctx: ReportContext, items: list[dict[str, Any]]) -> Table:
    """Distance travelled and the SD and reliability behind each item's RCI."""
    rows = []
    for r in items:
        source = ctx.t(f"change.sd_{r['sd_source']}")
        distance = None if r["mean_distance"] is None else 100 * r["mean_distance"]
        # an SD from the store's first measurements describes people: shown with the row's clients
        sd = None if r["clients"] is None and r["sd_source"] != "reference" else r["sd"]
        rows.append((_item_label(ctx, r), ctx.num(distance, 1), f"{ctx.num(sd, 2)} ({source})", ctx.num(r["reliability"], 2)))
    header = (ctx.t("change.item"), ctx.t("change.distance"), ctx.t("change.sd"), ctx.t("change.reliability"))
    return Table(id="change-distance", caption=ctx.t("change.distance_caption"), header=header, rows=tuple(rows))


def _services(ctx: ReportContext, results: Results, services: list[dict[str, Any]]) -> list[Block]:
    service = service_labeler(results, ctx)
    blocks: list[Block] = []
    for period in ("start_end", "start_after"):
        rows = [(f"{service(r['service_code'])}: {_item_label(ctx, r)}", r) for r in services if r["period"] == period]
        if rows:
            caption = ctx.t(f"change.services_{period}")
            blocks.append(_class_table(ctx, f"change-services-{period}", caption, ctx.t("change.service_item"), rows))
    return blocks


def _gas(ctx: ReportContext, gas: dict[str, Any], raw: dict[str, Any], levels: list[dict[str, Any]]) -> list[Block]:
    if not raw["clients"]:
        return [Note(ctx.t("change.no_gas"))]
    mean = (ctx.t("change.gas_mean"), f"{ctx.num(gas['mean_t'], 1)} ({_interval(ctx, gas, 'ci_low', 'ci_high')})")
    bands = {b: int(raw[b]) for b in GAS_BANDS}
    blocks: list[Block] = [
        Figures((mean,)),
        distribution_table(
            ctx, "change-gas", ctx.t("change.gas_bands"), ctx.t("change.gas_t"), bands, lambda b: ctx.t(f"change.gas_{b}")
        ),
    ]
    by = {(r["domain"], r["level"]): r["count"] for r in levels}
    domains = sorted({d for d, _ in by})
    rows = tuple((ctx.label("goal_domain", d), *(ctx.num(by[d, lv]) if (d, lv) in by else "0" for lv in LEVELS)) for d in domains)
    hidden = any(v is None for v in by.values())
    blocks.append(
        Table(
            "change-gas-levels", ctx.t("change.gas_levels"), (ctx.t("progress.domain"), *LEVELS), rows, note=sdc_note(ctx, hidden)
        )
    )
    return blocks


@register("change", "section.change", 65, compute=compute)
def change_section(results: Results, ctx: ReportContext) -> list[Block]:
    """Reliable change per item, per service, distance travelled and GAS T-scores."""
    raw = change_record({name: table(results, name) for name in TABLES})
    if not raw["items"] and not raw["services"] and not raw["gas"]["clients"]:
        return no_data(ctx)
    shown = sdc.release_change(raw, t=ctx.threshold)
    blocks: list[Block] = [Note(ctx.t("change.not_effects"))]
    if shown["items"]:
        rows = [(_item_label(ctx, r), r) for r in shown["items"]]
        blocks.append(_class_table(ctx, "change-items", ctx.t("change.items"), ctx.t("change.item"), rows))
        blocks.append(_distance_table(ctx, shown["items"]))
    blocks += _services(ctx, results, shown["services"])
    blocks.append(Heading(ctx.t("change.gas"), "change-gas-heading"))
    return blocks + _gas(ctx, shown["gas"], raw["gas"], shown["gas_levels"])
