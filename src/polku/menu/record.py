"""The service-menu figures of a run as a record: exact, before the disclosure gate
(`polku.sdc.groups.release_menu`); built only from the run's `menu_*` tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from polku.groups.record import Tables, rows_of
from polku.menu.targeting import DEADLINES, STATUSES

TABLES = (
    "menu_config",
    "menu_entries",
    "menu_targeting",
    "menu_participants",
    "menu_timeliness",
    "menu_acceptance",
    "menu_unserved",
)
"""The run's tables the record is built from."""


def _timeliness(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: row[k] for k in ("group", "spells", "served", "median_days")}
    return out | {f"{k}_{d}": int(row[f"{k}_{d}"]) for d in DEADLINES for k in ("due", "within")}


def _acceptance(frame: pd.DataFrame) -> list[dict[str, Any]]:
    by = frame.groupby("group", sort=False)[list(STATUSES)].sum()
    return [{"group": g} | {s: int(r[s]) for s in STATUSES} for g, r in by.iterrows()]


def menu_record(tables: Tables) -> dict[str, Any]:
    """`polku menu`: the menu, targeting per service, timeliness, acceptance and unserved groups."""
    return {
        "config": rows_of(tables["menu_config"])[0],
        "entries": rows_of(tables["menu_entries"]),
        "targeting": rows_of(tables["menu_targeting"]),
        "participants": rows_of(tables["menu_participants"]),
        "timeliness": [_timeliness(r) for r in rows_of(tables["menu_timeliness"])],
        "acceptance": _acceptance(tables["menu_acceptance"]),
        "unserved": rows_of(tables["menu_unserved"]),
    }
