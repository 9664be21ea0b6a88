"""The service menu and targeting: which groups each service is meant for (the area's menu
file), the share of its participants in those groups, the time from registration to the
first service, interruptions and groups left (almost) without services (docs/groups.md).

`compute` shares the grouped person-dates with the section `groups`; `render` reads only
the run's `menu_*` tables (and the group names in `groups_definitions`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from polku.menu.menu import load_menu
from polku.menu.record import TABLES, menu_record
from polku.menu.targeting import DEADLINES, STATUSES, menu_tables
from polku.pipeline.settings import AnalysisContext
from polku.reports.blocks import Block, Note, Table, no_data, sdc_note
from polku.reports.context import ReportContext
from polku.reports.frames import table
from polku.reports.registry import Results, register
from polku.reports.sections.groups import group_labeler, grouped
from polku.reports.sections.services import service_labeler
from polku.sdc.groups import release_menu
from polku.store import Store


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """The `menu_*` tables (polku.menu.targeting), against the menu file in use."""
    frame, config, as_of = grouped(store, analysis)
    return menu_tables(frame, config, load_menu(config), as_of)


def _flag(ctx: ReportContext, value: bool | None) -> str:
    return ctx.num(None) if value is None else ctx.t("menu.flagged") if value else ctx.t("menu.ok")


def _intended(ctx: ReportContext, groups: str, name: Callable[[str], str]) -> str:
    """The menu entry's groups (stored as 'a, b') by name; none listed means any group."""
    return ", ".join(name(g) for g in groups.split(", ") if g) or ctx.t("menu.any")


def _targeting(ctx: ReportContext, shown: dict[str, Any], service: Callable[[str], str], name: Callable[[str], str]) -> Table:
    entries = {e["service_code"]: e for e in shown["entries"]}
    body = []
    for r in shown["targeting"]:
        entry = entries.get(r["service_code"])
        groups = (
            ctx.t("menu.not_in_menu")
            if entry is None
            else ", ".join(name(g) for g in entry["groups"].split(", ") if g) or ctx.t("menu.any")
        )
        body.append(
            (service(r["service_code"]), groups, ctx.num(r["participants"]), ctx.num(r["share"], 1), _flag(ctx, r["flagged"]))
        )
    header = (ctx.t("menu.service"), ctx.t("menu.intended"), ctx.t("menu.participants"), ctx.t("menu.share"), ctx.t("menu.check"))
    hidden = any(r["share"] is None for r in shown["targeting"])
    return Table("menu-targeting", ctx.t("menu.targeting"), header, tuple(body), note=sdc_note(ctx, hidden))


def _timeliness(ctx: ReportContext, rows: list[dict[str, Any]], name: Callable[[str], str]) -> Table:
    body = tuple(
        (
            name(r["group"]),
            ctx.num(r["spells"]),
            ctx.num(r["served"]),
            ctx.num(r["median_days"], 1),
            *(ctx.num(r[f"share_within_{d}"], 1) for d in DEADLINES),
        )
        for r in rows
    )
    header = (
        ctx.t("groups.group"),
        ctx.t("groups.registrations"),
        ctx.t("menu.served"),
        ctx.t("menu.median_days"),
        *(ctx.t("menu.within", days=d) for d in DEADLINES),
    )
    hidden = any(v is None for r in rows for v in r.values())
    return Table("menu-timeliness", ctx.t("menu.timeliness"), header, body, note=sdc_note(ctx, hidden))


def _acceptance(ctx: ReportContext, rows: list[dict[str, Any]], name: Callable[[str], str]) -> Table:
    body = tuple((name(r["group"]), *(ctx.num(r[s]) for s in STATUSES), ctx.num(r["interrupted_share"], 1)) for r in rows)
    header = (ctx.t("groups.group"), *(ctx.label("completion_status", s) for s in STATUSES), ctx.t("menu.interrupted_share"))
    hidden = any(v is None for r in rows for v in r.values())
    return Table("menu-acceptance", ctx.t("menu.acceptance"), header, body, note=sdc_note(ctx, hidden))


def _offered(entries: list[dict[str, Any]], group: str, service: Callable[[str], str]) -> str:
    """The services the menu offers a group, by name (a count here would read as people)."""
    return ", ".join(service(e["service_code"]) for e in entries if not e["groups"] or group in e["groups"].split(", "))


def _unserved(ctx: ReportContext, shown: dict[str, Any], name: Callable[[str], str], service: Callable[[str], str]) -> Table:
    rows = shown["unserved"]
    body = tuple(
        (
            name(r["group"]),
            ctx.num(r["registrations"]),
            ctx.num(r["starts"]),
            _offered(shown["entries"], r["group"], service) or "-",
            _flag(ctx, r["flagged"]),
        )
        for r in rows
    )
    header = (
        ctx.t("groups.group"),
        ctx.t("groups.registrations"),
        ctx.t("menu.starts"),
        ctx.t("menu.offered"),
        ctx.t("menu.check"),
    )
    hidden = any(r["registrations"] is None or r["starts"] is None for r in rows)
    return Table("menu-unserved", ctx.t("menu.unserved"), header, body, note=sdc_note(ctx, hidden))


def _warnings(
    ctx: ReportContext, shown: dict[str, Any], service: Callable[[str], str], name: Callable[[str], str]
) -> list[Block]:
    services = [service(r["service_code"]) for r in shown["targeting"] if r["flagged"]]
    groups = [name(r["group"]) for r in shown["unserved"] if r["flagged"]]
    blocks: list[Block] = []
    if services:
        blocks.append(Note(ctx.t("menu.warning_services", services=", ".join(services)), tone="warning"))
    if groups:
        blocks.append(Note(ctx.t("menu.warning_groups", groups=", ".join(groups)), tone="warning"))
    return blocks


@register("menu", "section.menu", 67, compute=compute)
def menu_section(results: Results, ctx: ReportContext) -> list[Block]:
    """Targeting by service, timeliness, acceptance and unserved groups, against the menu."""
    raw = menu_record({name: table(results, name) for name in TABLES})
    if not raw["targeting"] and not raw["timeliness"]:
        return no_data(ctx)
    shown = release_menu(raw, t=ctx.threshold)
    service, name = service_labeler(results, ctx), group_labeler(results, ctx)
    config = raw["config"]
    intro = ctx.t("menu.intro", name=config["name"], version=config["version"], min_share=round(100 * config["min_share"]))
    return [
        Note(intro),
        *_warnings(ctx, shown, service, name),
        _targeting(ctx, shown, service, name),
        _timeliness(ctx, shown["timeliness"], name),
        _acceptance(ctx, shown["acceptance"], name),
        _unserved(ctx, shown, name, service),
        Note(ctx.t("menu.limits")),
    ]
