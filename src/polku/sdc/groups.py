"""The gate for client groups and the service menu (`polku groups`, `polku menu`, the report
sections `groups` and `menu`).

- Group sizes (registration spells) of one grouping are a distribution with its total;
  a group hidden there is `suppressed` and shows no profile. A shown group's education and
  benefit-payer counts are each a line whose total is the group; means (age, duration, the
  seed model's chance) need at least T spells; the employment rate is a share.
- Transitions are a table (registration group x group on the checkpoint) with margins; the
  share staying in the same group is a share of those still registered.
- Targeting: participants by service and group are a table with margins; a service's share
  in its intended groups is a share, and its flag is shown only with the share.
- Timeliness and acceptance: counts per group as lines, the median days to the first
  service only over T or more served, shares within 90/180/365 days as shares.
- Unserved groups: registrations and starts under the primary rule; the flag is shown
  only when the group's registrations are shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from polku.sdc.tables import count_table, distribution, mean, separate_counts, share, threshold

Record = dict[str, Any]


def _line(counts: Mapping[str, int], t: int) -> dict[str, int | None]:
    return distribution(dict(counts), t=t).column()


def _profile_row(row: Mapping[str, Any], spells: int | None, t: int) -> Record:
    if spells is None:
        keep = ("grouping", "group")
        hidden = {k: None for k in (*row, "employment_rate") if k not in keep}
        return {k: row[k] for k in keep} | hidden | {"suppressed": True}
    n = int(row["spells"])
    persons = separate_counts({"p": int(row["persons"])}, t=t)[0]["p"]
    rate = share(int(row["employed_12m"]), int(row["followed_12m"]), t=t).value
    return dict(row) | {
        "spells": spells,
        "persons": persons,
        "mean_age": mean(row["mean_age"] * n, n, t=t).value,
        "mean_spell_months": mean(row["mean_spell_months"] * n, n, t=t).value,
        "mean_chance": mean(row["mean_chance"] * n, n, t=t).value,
        "education": _line(row["education"], t),
        "payer": _line(row["payer"], t),
        "followed_12m": separate_counts({"f": int(row["followed_12m"])}, t=t)[0]["f"],
        "employed_12m": None if rate is None else int(row["employed_12m"]),
        "employment_rate": rate,
        "suppressed": False,
    }


def _profile(rows: Sequence[Mapping[str, Any]], t: int) -> list[Record]:
    out = []
    for grouping in dict.fromkeys(r["grouping"] for r in rows):
        members = [r for r in rows if r["grouping"] == grouping]
        sizes = distribution({r["group"]: int(r["spells"]) for r in members}, t=t).column()
        out += [_profile_row(r, sizes[r["group"]], t) for r in members]
    return out


def _transitions(rows: Sequence[Mapping[str, Any]], t: int) -> list[Record]:
    out: list[Record] = []
    for key in dict.fromkeys((r["grouping"], r["months"]) for r in rows):
        part = [r for r in rows if (r["grouping"], r["months"]) == key]
        froms, tos = list(dict.fromkeys(r["from_group"] for r in part)), list(dict.fromkeys(r["to_group"] for r in part))
        counts = {(r["from_group"], r["to_group"]): int(r["count"]) for r in part}
        table = count_table([[counts.get((a, b), 0) for b in tos] for a in froms], froms, tos, t=t)
        out += [dict(r) | {"count": table.cells[froms.index(r["from_group"])][tos.index(r["to_group"])]} for r in part]
    return out


def _stability(rows: Sequence[Mapping[str, Any]], t: int) -> list[Record]:
    return [dict(r) | {"share_same": share(int(r["same"]), int(r["registered"]), t=t).value} for r in rows]


def release_groups(record: Mapping[str, Any], *, t: int | None = None) -> Record:
    """`polku.groups.record.groups_record(...)` as it may be shown."""
    t = threshold() if t is None else t
    return dict(record) | {
        "profile": _profile(record["profile"], t),
        "transitions": _transitions(record["transitions"], t),
        "stability": [
            s | {"registered": separate_counts({"r": int(s["registered"])}, t=t)[0]["r"], "same": None}
            for s in _stability(record["stability"], t)
        ],
        "threshold": t,
    }


def _targeting(rows: Sequence[Mapping[str, Any]], t: int) -> list[Record]:
    out = []
    for r in rows:
        value = share(int(r["intended"]), int(r["participants"]), t=t).value
        shown = separate_counts({"n": int(r["participants"])}, t=t)[0]["n"]
        out.append(
            dict(r)
            | {"participants": shown, "intended": None if value is None else int(r["intended"]), "share": value}
            | {"flagged": None if value is None and r["in_menu"] else r["flagged"]}
        )
    return out


def _participants(rows: Sequence[Mapping[str, Any]], t: int) -> list[Record]:
    services, groups = list(dict.fromkeys(r["service_code"] for r in rows)), list(dict.fromkeys(r["group"] for r in rows))
    counts = {(r["service_code"], r["group"]): int(r["participants"]) for r in rows}
    table = count_table([[counts.get((s, g), 0) for g in groups] for s in services], services, groups, t=t)
    return [
        {"service_code": r["service_code"], "group": r["group"], "intended": r["intended"] > 0}
        | {"participants": table.cells[services.index(r["service_code"])][groups.index(r["group"])]}
        for r in rows
    ]


def _timeliness(rows: Sequence[Mapping[str, Any]], t: int, deadlines: Sequence[int]) -> list[Record]:
    out = []
    for r in rows:
        spells, served = int(r["spells"]), int(r["served"])
        line = distribution({"served": served, "unserved": spells - served}, t=t)
        shares = {f"share_within_{d}": share(int(r[f"within_{d}"]), int(r[f"due_{d}"]), t=t).value for d in deadlines}
        median = r["median_days"] if served >= t else None
        out.append({"group": r["group"], "spells": line.total, "served": line.column()["served"], "median_days": median} | shares)
    return out


def _acceptance(rows: Sequence[Mapping[str, Any]], t: int, statuses: Sequence[str]) -> list[Record]:
    out = []
    for r in rows:
        line = _line({s: int(r[s]) for s in statuses}, t)
        ended = int(r["completed"]) + int(r["interrupted"])
        out.append({"group": r["group"]} | line | {"interrupted_share": share(int(r["interrupted"]), ended, t=t).value})
    return out


def _unserved(rows: Sequence[Mapping[str, Any]], t: int) -> list[Record]:
    out = []
    for r in rows:
        shown, _ = separate_counts({"registrations": int(r["registrations"]), "starts": int(r["starts"])}, t=t)
        flag = r["flagged"] if shown["registrations"] is not None else None
        out.append(dict(r) | shown | {"flagged": flag})
    return out


def release_menu(record: Mapping[str, Any], *, t: int | None = None) -> Record:
    """`polku.groups.record.menu_record(...)` as it may be shown."""
    t = threshold() if t is None else t
    timeliness, acceptance = record["timeliness"], record["acceptance"]
    deadlines = [int(k[4:]) for k in (timeliness[0] if timeliness else {}) if k.startswith("due_")]
    statuses = [k for k in (acceptance[0] if acceptance else {}) if k != "group"]
    return dict(record) | {
        "targeting": _targeting(record["targeting"], t),
        "participants": _participants(record["participants"], t),
        "timeliness": _timeliness(timeliness, t, deadlines),
        "acceptance": _acceptance(acceptance, t, statuses),
        "unserved": _unserved(record["unserved"], t),
        "threshold": t,
    }
