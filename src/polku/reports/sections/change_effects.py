"""Effects of services on measured change and on reaching plan goals, and whether change
comes before work.

`compute` runs inside `polku analyse`: the effect of each service on each item's change 6
and 12 months after the start against comparison people at a matched pseudo-start,
weighted for the chance of being measured (polku.change.effects), the effect on reaching
the plan's goals due within 6 and 12 months (polku.change.goal_effects), and the hazard
ratio of later open-market work per point of change at a 6-month landmark
(polku.change.work). `render` reads only the run's `change_effects`,
`change_goal_effects` and `change_work` tables, through the disclosure gate
(`polku.sdc.release_change_effects`). Method: docs/change.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from polku import sdc
from polku.change.record import WITHHELD_SMALL, effects_record
from polku.impact.design import MIN_MEASURED_COMPARISON, MIN_PARTICIPANTS
from polku.pipeline.settings import AnalysisContext
from polku.reports.blocks import Block, Note, Table, no_data, sdc_note
from polku.reports.context import ReportContext
from polku.reports.frames import table
from polku.reports.registry import Results, register
from polku.reports.sections.services import service_labeler
from polku.store import Store

TABLES = ("change_effects", "change_work", "change_goal_effects")


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """Effects on change per service, item, window and client group; effects on reaching
    goals per service, outcome, window and client group; hazard ratios per item."""
    from polku.change.client_groups import GroupedCohorts  # the estimators load only when a run is computed
    from polku.change.effects import store_effects
    from polku.change.goal_effects import store_goal_effects
    from polku.change.work import store_work

    settings = analysis.settings
    cohorts = GroupedCohorts(analysis.cohorts(store), settings.seed)  # grouped once for both
    try:
        return {
            "change_effects": store_effects(
                store, seed=settings.seed, as_of=settings.as_of, cohorts=cohorts, bootstrap=settings.change_bootstrap
            ),
            "change_goal_effects": store_goal_effects(store, seed=settings.seed, as_of=settings.as_of, cohorts=cohorts),
            "change_work": store_work(store, as_of=settings.as_of),
        }
    finally:
        cohorts.release()


def _item(ctx: ReportContext, row: dict[str, Any]) -> str:
    return f"{ctx.label('instrument', row['instrument'])}: {ctx.label('measurement_item', row['item'])}"


def _interval(ctx: ReportContext, row: dict[str, Any], shown: Callable[[str], str] | None = None) -> str:
    """The row's `ci_low` … `ci_high`, each figure formatted by `shown(column)` (default: two
    decimals), or the withheld marker."""
    if row.get("ci_low") is None or row.get("ci_high") is None:
        return sdc.MARKER
    shown = shown or (lambda name: ctx.num(row[name], 2))
    return f"{shown('ci_low')} … {shown('ci_high')}"


def _effects_table(ctx: ReportContext, results: Results, rows: list[dict[str, Any]], months: int) -> Table:
    service = service_labeler(results, ctx)
    body = tuple(
        (
            f"{service(r['service_code'])}: {_item(ctx, r)}",
            ctx.num(r["participants"]),
            ctx.num(r["measured_participants"]),
            ctx.num(r["estimate"], 2),
            _interval(ctx, r),
            ctx.num(r["estimate_unweighted"], 2),
            ctx.num(r["tipping_delta"], 2),
        )
        for r in rows
        if r["months"] == months and r["client_group"] == "all"
    )
    header = tuple(
        ctx.t(f"change_effects.{k}")
        for k in ("service_item", "participants", "measured", "effect", "interval", "unweighted", "tipping")
    )
    hidden = any(r["participants"] is None or r["measured_participants"] is None for r in rows)
    caption = ctx.t("change_effects.caption", months=months)
    return Table(id=f"change-effects-{months}", caption=caption, header=header, rows=body, note=sdc_note(ctx, hidden))


def _goal_effect(ctx: ReportContext, row: dict[str, Any], name: str) -> str:
    """A goal figure: the share reached in percentage points, the T-score in T points."""
    value = row.get(name)
    if value is None:
        return sdc.MARKER
    return ctx.num(100 * value, 1) if row["outcome"] == "reached" else ctx.num(value, 1)


def _goal_interval(ctx: ReportContext, row: dict[str, Any]) -> str:
    return _interval(ctx, row, lambda name: _goal_effect(ctx, row, name))


def _goals_table(ctx: ReportContext, results: Results, rows: list[dict[str, Any]], months: int) -> Table:
    service = service_labeler(results, ctx)
    body = tuple(
        (
            f"{service(r['service_code'])}: {ctx.t('change_effects.goal_' + r['outcome'])}",
            ctx.num(r["participants"]),
            ctx.num(r["measured_participants"]),
            _goal_effect(ctx, r, "mean_participants"),
            _goal_effect(ctx, r, "mean_comparison"),
            _goal_effect(ctx, r, "estimate"),
            _goal_interval(ctx, r),
        )
        for r in rows
        if r["months"] == months and r["client_group"] == "all"
    )
    keys = ("service_outcome", "participants", "goal_due", "goal_mean_participants", "goal_mean_comparison", "effect", "interval")
    header = tuple(ctx.t(f"change_effects.{k}") for k in keys)
    hidden = any(r["participants"] is None or r["measured_participants"] is None for r in rows)
    caption = ctx.t("change_effects.goal_caption", months=months)
    return Table(id=f"change-goal-effects-{months}", caption=caption, header=header, rows=body, note=sdc_note(ctx, hidden))


GROUPINGS = ("rule", "seed_model")
"""The groupings of the by-group tables (the work-ability split stays in the data only)."""


def _group_names(results: Results, ctx: ReportContext) -> dict[str, str]:
    """Rule groups' names from the run's group definitions (when the run has them), bands' from the catalog."""
    names = {b: ctx.t(f"groups.code_{b}") for b in ("high", "medium", "low", "unassigned")}
    if "groups_definitions" in results:
        names |= {r["group"]: r[f"name_{ctx.lang}"] for r in table(results, "groups_definitions").to_dict("records")}
    return names


def _why(ctx: ReportContext, row: dict[str, Any]) -> str:
    """Why a group's effect is not shown: too few for an estimate, or the disclosure gate."""
    note = str(row.get("note") or "")
    if row.get("interval") == WITHHELD_SMALL:
        return ctx.t("change_effects.why_small_comparison")
    if note.startswith("fewer than"):
        return ctx.t("change_effects.why_size", participants=MIN_PARTICIPANTS, comparison=MIN_MEASURED_COMPARISON)
    if note:
        return note
    return ctx.t("change_effects.why_gate") if row.get("estimate") is None else ""


def _group_label(ctx: ReportContext, names: dict[str, str], row: dict[str, Any]) -> str:
    return f"{ctx.t('groups.grouping_' + row['grouping'])}: {names.get(row['client_group'], row['client_group'])}"


def _by_group_table(ctx: ReportContext, results: Results, rows: list[dict[str, Any]], months: int, goals: bool) -> Table:
    """Effects within each rule group and potential band, a row per cell, withheld ones with why."""
    service, names = service_labeler(results, ctx), _group_names(results, ctx)
    body = []
    for r in rows:
        if r["months"] != months or r["grouping"] not in GROUPINGS:
            continue
        what = ctx.t("change_effects.goal_" + r["outcome"]) if goals else _item(ctx, r)
        figures = (
            (_goal_effect(ctx, r, "estimate"), _goal_interval(ctx, r))
            if goals
            else (ctx.num(r["estimate"], 2), _interval(ctx, r))
        )
        body.append((f"{service(r['service_code'])}: {what}", _group_label(ctx, names, r), ctx.num(r["participants"]),
                     ctx.num(r["measured_participants"]), *figures, _why(ctx, r)))  # fmt: skip
    first = "service_outcome" if goals else "service_item"
    keys = (first, "group", "participants", "goal_due" if goals else "measured", "effect", "interval", "why")
    hidden = any(r["participants"] is None or r["measured_participants"] is None for r in rows)
    kind = "goal-effects" if goals else "effects"
    caption = ctx.t("change_effects.goal_groups_caption" if goals else "change_effects.groups_caption", months=months)
    header = tuple(ctx.t(f"change_effects.{k}") for k in keys)
    return Table(
        id=f"change-{kind}-groups-{months}", caption=caption, header=header, rows=tuple(body), note=sdc_note(ctx, hidden)
    )


def _work_table(ctx: ReportContext, rows: list[dict[str, Any]]) -> Table:
    body = tuple(
        (
            _item(ctx, r),
            ctx.num(r["people"]),
            ctx.num(r["events"]),
            ctx.num(r["hazard_ratio"], 2),
            _interval(ctx, r),
        )
        for r in rows
    )
    header = tuple(ctx.t(f"change_effects.{k}") for k in ("item", "people", "events", "hazard_ratio", "interval"))
    hidden = any(r["people"] is None or r["events"] is None for r in rows)
    return Table(id="change-work", caption=ctx.t("change_effects.work"), header=header, rows=body, note=sdc_note(ctx, hidden))


def _by_group_blocks(ctx: ReportContext, results: Results, shown: dict[str, Any]) -> list[Block]:
    """The effects on change and on reaching goals within each client group, when the run has them."""
    blocks: list[Block] = []
    for key, goals in (("effects", False), ("goal_effects", True)):
        rows = [r for r in shown[key] if r.get("grouping") in GROUPINGS]
        for months in sorted({int(r["months"]) for r in rows}):
            blocks.append(_by_group_table(ctx, results, rows, months, goals))
    method = ctx.t("change_effects.groups_method", participants=MIN_PARTICIPANTS, comparison=MIN_MEASURED_COMPARISON)
    return [Note(method), *blocks] if blocks else []


@register("change_effects", "section.change_effects", 66, compute=compute)
def change_effects_section(results: Results, ctx: ReportContext) -> list[Block]:
    """Effects of services on change with intervals, and hazard ratios of later work."""
    raw = effects_record({name: table(results, name) for name in TABLES})
    if not raw["effects"] and not raw["work"] and not raw["goal_effects"]:
        return no_data(ctx)
    shown = sdc.release_change_effects(raw, t=ctx.threshold)
    blocks: list[Block] = [Note(ctx.t("change_effects.method"))]
    for months in sorted({int(r["months"]) for r in shown["effects"]}):
        blocks.append(_effects_table(ctx, results, shown["effects"], months))
    if shown["goal_effects"]:
        blocks.append(Note(ctx.t("change_effects.goal_method")))
        for months in sorted({int(r["months"]) for r in shown["goal_effects"]}):
            blocks.append(_goals_table(ctx, results, shown["goal_effects"], months))
    blocks += _by_group_blocks(ctx, results, shown)
    if shown["work"]:
        blocks += [Note(ctx.t("change_effects.work_method")), _work_table(ctx, shown["work"])]
    return blocks
