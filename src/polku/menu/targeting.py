"""How well services reach the groups they are meant for: the `menu_*` tables of a run.

From the grouped person-dates (`polku.groups.assign.with_groups`):
- `menu_participants`: per service and rule group (on the start date), the participants
  (episodes that started) and whether that group is intended by the menu
  (with the menu's seed-model bands, per participant);
- `menu_targeting`: per service, participants, those in its intended groups, and `flagged`
  when their share is below the menu's `min_share`; services missing from the menu too;
- `menu_timeliness`: per group at registration, the registration spells, those with a
  service begun in the spell, the days to it (sum and median), and for 90, 180 and 365 days
  the spells whose window has passed and those served within it;
- `menu_acceptance`: per service and group, episodes by completion status (interruptions);
- `menu_unserved`: per group, registrations and service starts, how many services the menu
  offers it, and `flagged` when its share of starts is below `unserved_ratio` times its
  share of registrations (no service at all is the extreme case).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from polku.groups.config import GroupConfig
from polku.groups.rows import EPISODE, at
from polku.groups.tables import typed_frame
from polku.menu.menu import Menu

STATUSES = ("completed", "interrupted", "ongoing", "did_not_start")
DEADLINES = (90, 180, 365)
"""Days from registration by which the share served is counted (about 3, 6 and 12 months)."""


def config_table(menu: Menu) -> pd.DataFrame:
    row = {"name": menu.name, "version": menu.version, "sha256": menu.sha256, "groups": menu.groups_name}
    row |= {"min_share": menu.min_share, "unserved_ratio": menu.unserved_ratio}
    schema = {"name": "object", "version": "int64", "sha256": "object", "groups": "object"}
    return typed_frame([row], schema | {"min_share": "float64", "unserved_ratio": "float64"})


def entries_table(menu: Menu) -> pd.DataFrame:
    rows = [
        {
            "service_code": e.service,
            "groups": ", ".join(e.groups),
            "bands": ", ".join(e.bands),
            "source": e.source,
            "note": e.note,
        }
        for e in menu.entries
    ]
    return typed_frame(rows, dict.fromkeys(("service_code", "groups", "bands", "source", "note"), "object"))


def _started(frame: pd.DataFrame) -> pd.DataFrame:
    episodes = frame[frame["kind"] == EPISODE]
    return episodes[episodes["completion_status"] != "did_not_start"]


def _intended(menu: Menu, rows: pd.DataFrame) -> np.ndarray:
    """Whether each episode's participant is in the service's intended groups (False when
    the service is not in the menu)."""
    out = np.zeros(len(rows), dtype=bool)
    for i, (service, group, band) in enumerate(zip(rows["service_code"], rows["rule_group"], rows["seed_model_group"])):
        entry = menu.entry(str(service))
        out[i] = entry is not None and entry.intended(str(group), str(band))
    return out


def participants_table(frame: pd.DataFrame, menu: Menu) -> pd.DataFrame:
    started = _started(frame)
    started = started.assign(intended=_intended(menu, started))
    counts = started.groupby(["service_code", "rule_group"], sort=True).agg(
        participants=("intended", "size"), intended=("intended", "sum")
    )
    rows = [
        {"service_code": s, "group": g, "participants": int(r.participants), "intended": int(r.intended)}
        for (s, g), r in counts.iterrows()
    ]
    return typed_frame(rows, {"service_code": "object", "group": "object", "participants": "int64", "intended": "int64"})


def targeting_table(participants: pd.DataFrame, menu: Menu) -> pd.DataFrame:
    """Per service: participants, those intended, and the flag (share below `min_share`)."""
    by = participants.groupby("service_code", sort=True)[["participants", "intended"]].sum()
    rows = []
    for service, r in by.iterrows():
        in_menu = menu.entry(str(service)) is not None
        flagged = (not in_menu) or r.intended < menu.min_share * r.participants
        rows.append(
            {
                "service_code": service,
                "in_menu": in_menu,
                "participants": int(r.participants),
                "intended": int(r.intended),
                "flagged": bool(flagged),
            }
        )
    schema = {"service_code": "object", "in_menu": "bool", "participants": "int64", "intended": "int64", "flagged": "bool"}
    return typed_frame(rows, schema)


def _served_days(start: pd.DataFrame) -> np.ndarray:
    """Days from registration to the first service begun in the spell (NaN: none yet).
    A service may begin the day after the spell ends (a pay-subsidised job ends the spell)."""
    ref = pd.to_datetime(start["ref_date"])
    first = pd.to_datetime(start["first_service_after"])
    end = pd.to_datetime(start["spell_end"])
    inside = first.notna() & (end.isna() | (first <= end + pd.Timedelta(days=1)))
    return np.where(inside, (first - ref).dt.days.to_numpy(dtype=float, na_value=np.nan), np.nan)


def _timeliness_row(group: str, days: np.ndarray, age_days: np.ndarray) -> dict[str, object]:
    served = np.isfinite(days)
    row: dict[str, object] = {"group": group, "spells": len(days), "served": int(served.sum())}
    row |= {"days_sum": float(days[served].sum()), "median_days": float(np.median(days[served])) if served.any() else np.nan}
    for d in DEADLINES:
        due = age_days >= d
        row |= {f"due_{d}": int(due.sum()), f"within_{d}": int((due & served & (days < d)).sum())}
    return row


def timeliness_table(frame: pd.DataFrame, order: tuple[str, ...], as_of: pd.Timestamp) -> pd.DataFrame:
    """Per group at registration: time to the first service (see the module docstring)."""
    start = frame[frame["kind"] == at(0)]
    days = _served_days(start)
    age_days = (as_of - pd.to_datetime(start["ref_date"])).dt.days.to_numpy(dtype=float) + 1
    groups = start["rule_group"].to_numpy(dtype=object)
    rows = [_timeliness_row(g, days[groups == g], age_days[groups == g]) for g in order if (groups == g).any()]
    schema = {"group": "object", "spells": "int64", "served": "int64", "days_sum": "float64", "median_days": "float64"}
    return typed_frame(rows, schema | {f"{k}_{d}": "int64" for d in DEADLINES for k in ("due", "within")})


def acceptance_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Episodes per service, group (on the start date) and completion status."""
    episodes = frame[frame["kind"] == EPISODE]
    counts = pd.crosstab([episodes["service_code"], episodes["rule_group"]], episodes["completion_status"])
    rows = [{"service_code": s, "group": g} | {k: int(r.get(k, 0)) for k in STATUSES} for (s, g), r in counts.iterrows()]
    return typed_frame(rows, {"service_code": "object", "group": "object"} | dict.fromkeys(STATUSES, "int64"))


def unserved_table(frame: pd.DataFrame, menu: Menu, order: tuple[str, ...]) -> pd.DataFrame:
    """Per group: registrations, service starts, services offered, and the flag."""
    registrations = frame.loc[frame["kind"] == at(0), "rule_group"].value_counts()
    starts = _started(frame)["rule_group"].value_counts()
    total_r, total_s = max(int(registrations.sum()), 1), max(int(starts.sum()), 1)
    rows = []
    for group in order:
        n_r, n_s = int(registrations.get(group, 0)), int(starts.get(group, 0))
        if not n_r and not n_s:
            continue
        offered = sum(1 for e in menu.entries if not e.groups or group in e.groups)
        flagged = n_r > 0 and n_s / total_s < menu.unserved_ratio * n_r / total_r
        rows.append({"group": group, "registrations": n_r, "starts": n_s, "services_offered": offered, "flagged": flagged})
    schema = {"group": "object", "registrations": "int64", "starts": "int64", "services_offered": "int64", "flagged": "bool"}
    return typed_frame(rows, schema)


def menu_tables(frame: pd.DataFrame, groups: GroupConfig, menu: Menu, as_of: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Every `menu_*` table from the grouped rows."""
    order = (*groups.codes, "unassigned")
    participants = participants_table(frame, menu)
    return {
        "menu_config": config_table(menu),
        "menu_entries": entries_table(menu),
        "menu_participants": participants,
        "menu_targeting": targeting_table(participants, menu),
        "menu_timeliness": timeliness_table(frame, order, as_of),
        "menu_acceptance": acceptance_table(frame),
        "menu_unserved": unserved_table(frame, menu, order),
    }
