"""Client groups: the rule-based groups of the area's group file and the seed model's
employment-potential bands, each group's profile at registration and how stable a
person's group is 6 and 12 months later (docs/groups.md).

`compute` groups every person-date once per run (shared with the section `menu` through
the analysis context); `render` reads only the run's `groups_*` tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from polku.cohort.build import data_end
from polku.groups.assign import with_groups
from polku.groups.config import GroupConfig, load_groups
from polku.groups.record import TABLES, groups_record
from polku.groups.rows import empty_rows, group_rows
from polku.groups.tables import EDUCATION, LEFT, PAYERS, group_tables
from polku.pipeline.settings import AnalysisContext
from polku.reports.blocks import Block, Note, Table, no_data, sdc_note
from polku.reports.context import ReportContext
from polku.reports.frames import table
from polku.reports.registry import Results, register
from polku.sdc.groups import release_groups
from polku.store import Store

CACHE = "groups_rows"


def grouped(store: Store, analysis: AnalysisContext) -> tuple[pd.DataFrame, GroupConfig, pd.Timestamp]:
    """Every person-date with its groups, computed once per run (the sections `groups` and `menu`)."""
    if CACHE not in analysis.computed:
        config = load_groups()
        if not store.table("registration_spell").count().execute():  # nothing to group: empty tables
            analysis.computed[CACHE] = (empty_rows(), config, pd.Timestamp(analysis.settings.as_of or "2000-01-01"))
            return grouped(store, analysis)
        as_of = analysis.settings.as_of or data_end(store)
        frame = with_groups(group_rows(store, as_of), config, analysis.settings.seed)
        analysis.computed[CACHE] = (frame, config, pd.Timestamp(as_of))
    result: tuple[pd.DataFrame, GroupConfig, pd.Timestamp] = analysis.computed[CACHE]
    return result


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """The `groups_*` tables (polku.groups.tables)."""
    frame, config, as_of = grouped(store, analysis)
    return group_tables(frame, config, as_of)


def group_labeler(results: Results, ctx: ReportContext) -> Callable[[str], str]:
    """A group's name in the report language: rule groups from the run's definitions,
    seed-model bands and `left`/`unassigned` from the catalog."""
    names = {r["group"]: r[f"name_{ctx.lang}"] for r in table(results, "groups_definitions").to_dict("records")}
    fixed = {"high", "medium", "low", LEFT, "unassigned"}
    return lambda code: names.get(code) or (ctx.t(f"groups.code_{code}") if code in fixed else code)


def _percent(ctx: ReportContext, value: float | None) -> str:
    """A fraction (0-1) as a percentage."""
    return ctx.num(None if value is None else 100 * value, 1)


def _profile_table(ctx: ReportContext, grouping: str, rows: list[dict[str, Any]], name: Callable[[str], str]) -> Table:
    body = []
    for r in rows:
        edu = r["education"] or {}
        payer = r["payer"] or {}
        body.append(
            (
                name(r["group"]),
                ctx.num(r["spells"]),
                ctx.num(r["mean_age"], 1),
                ctx.num(r["mean_spell_months"], 1),
                *(ctx.num(edu.get(e)) for e in EDUCATION),
                *(ctx.num(payer.get(p)) for p in PAYERS),
                ctx.num(r["employment_rate"], 1),
                _percent(ctx, r["mean_chance"]),
            )
        )
    header = (
        ctx.t(f"groups.grouping_{grouping}"),
        ctx.t("groups.registrations"),
        ctx.t("groups.mean_age"),
        ctx.t("groups.mean_duration"),
        *(ctx.label("education_level", e) for e in EDUCATION),
        *(ctx.t(f"groups.payer_{p}") for p in PAYERS),
        ctx.t("groups.employment_rate"),
        ctx.t("groups.mean_chance"),
    )
    hidden = any(r["suppressed"] or None in (r["education"] or {}).values() for r in rows)
    return Table(
        f"groups-profile-{grouping}", ctx.t(f"groups.profile_{grouping}"), header, tuple(body), note=sdc_note(ctx, hidden)
    )


def _stability_table(
    ctx: ReportContext, grouping: str, rows: list[dict[str, Any]], name: Callable[[str], str], order: list[str]
) -> Table:
    groups = [g for g in order if any(r["group"] == g for r in rows)]
    by = {(r["group"], r["months"]): r for r in rows}
    body = []
    for g in groups:
        cells = []
        for months in (6, 12):
            r = by.get((g, months), {"registered": 0, "share_same": None})
            cells += [ctx.num(r["registered"]), ctx.num(r["share_same"], 1)]
        body.append((name(g), *cells))
    header = (
        ctx.t(f"groups.grouping_{grouping}"),
        *(ctx.t(f"groups.stability_{k}_{m}") for m in (6, 12) for k in ("registered", "same")),
    )
    hidden = any(r["registered"] is None or r["share_same"] is None for r in rows)
    return Table(
        f"groups-stability-{grouping}", ctx.t(f"groups.stability_{grouping}"), header, tuple(body), note=sdc_note(ctx, hidden)
    )


def _definitions(ctx: ReportContext, record: dict[str, Any]) -> list[Block]:
    config = record["config"]
    intro = Note(ctx.t("groups.intro", name=config["name"], version=config["version"], high=config["high"], low=config["low"]))
    rows = tuple((d[f"name_{ctx.lang}"], d["rule"]) for d in record["definitions"])
    return [intro, Table("groups-definitions", ctx.t("groups.definitions"), (ctx.t("groups.group"), ctx.t("groups.rule")), rows)]


@register("groups", "section.groups", 66, compute=compute)
def groups_section(results: Results, ctx: ReportContext) -> list[Block]:
    """The group definitions, each group's profile and how stable the groups are."""
    raw = groups_record({name: table(results, name) for name in TABLES})
    if not raw["profile"]:
        return no_data(ctx)
    shown = release_groups(raw, t=ctx.threshold)
    name = group_labeler(results, ctx)
    blocks: list[Block] = _definitions(ctx, raw)
    for grouping in ("rule", "seed_model"):
        rows = [r for r in shown["profile"] if r["grouping"] == grouping]
        if rows:
            blocks.append(_profile_table(ctx, grouping, rows, name))
        stability = [r for r in shown["stability"] if r["grouping"] == grouping]
        if stability:
            blocks.append(_stability_table(ctx, grouping, stability, name, [r["group"] for r in rows]))
    return blocks + [Note(ctx.t("groups.limits"))]
