"""The gate for change figures (`polku change`, the report section `change`).

Counts of clients improved, unchanged and worsened are protected row by row, each row a
line whose total is the clients (rows share people, so they are never added up); a
mean change, its interval and the distance travelled are withheld when they rest on fewer
than T clients or when the row's clients are hidden. GAS T-scores: the clients below, at
and above 50 as a distribution with its total, the mean T under the same rule; goals per
domain and GAS level as a table with its margins.

Effects on change (`release_change_effects`): each side's people and those of them measured
as one line; an effect is withheld when fewer than T people of either side were measured.
Hazard ratios: the people followed and those who found work as one line; the ratio is
withheld when fewer than T found work or fewer than T did not. Effects on reaching goals
(`goal_effects`): as effects on change, "measured" being those with a goal due, withheld
when fewer than T of either side had one (on the exact counts, even when the count with
a goal hides), the plain means and goal counts with the estimate; when the count with a
goal hides, so do the share without one and that side's goal count, which would give it
back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from polku.sdc.tables import count_table, distribution, threshold

CLASSES = ("improved", "unchanged", "worsened")
BANDS = ("below", "at", "above")
MEANS = ("mean_change", "ci_low", "ci_high", "mean_distance")


def _protected_rows(rows: Sequence[Mapping[str, Any]], t: int) -> list[dict[str, Any]]:
    """Each row's class counts protected as one line, improved + unchanged + worsened =
    clients. Rows are not added up: every item is measured on the same people, and every
    item of a service counts the same episodes, so no total across rows is shown."""
    out = []
    for row in rows:
        line = distribution({c: int(row[c]) for c in CLASSES}, t=t)
        withheld = line.total is None or int(row["clients"]) < t
        released = dict(row) | line.column() | {"clients": line.total}
        # an SD taken from the store's first measurements describes people, like the means
        people_sd = {"sd": None} if row.get("sd_source") == "first_measurements" else {}
        out.append(released | ({m: None for m in MEANS if m in row} | people_sd if withheld else {}))
    return out


def _gas(gas: Mapping[str, Any], t: int) -> dict[str, Any]:
    bands = distribution({b: int(gas[b]) for b in BANDS}, t=t)
    withheld = int(gas["clients"]) < t
    means = {m: None for m in ("mean_t", "ci_low", "ci_high")} if withheld else {}
    return dict(gas) | bands.column() | {"clients": bands.total} | means


def _levels(levels: Sequence[Mapping[str, Any]], t: int) -> list[dict[str, Any]]:
    domains = sorted({str(r["domain"]) for r in levels})
    codes = sorted({str(r["level"]) for r in levels}, key=float)
    counts = {(str(r["domain"]), str(r["level"])): int(r["count"]) for r in levels}
    table = count_table([[counts.get((d, c), 0) for c in codes] for d in domains], domains, codes, t=t)
    return [
        {"domain": d, "level": c, "count": table.cells[i][j]}
        for i, d in enumerate(domains)
        for j, c in enumerate(codes)
        if (d, c) in counts
    ]


def release_change(record: Mapping[str, Any], *, t: int | None = None) -> dict[str, Any]:
    """`polku.change.record.change_record(...)` as it may be shown."""
    t = threshold() if t is None else t
    return dict(record) | {
        "items": _protected_rows(record["items"], t),
        "services": _protected_rows(record["services"], t),
        "gas": _gas(record["gas"], t),
        "gas_levels": _levels(record["gas_levels"], t),
        "threshold": t,
    }


EFFECT_FIGURES = (
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "estimate_unweighted",
    "ci_low_unweighted",
    "ci_high_unweighted",
    "share_missing",
    "tipping_delta",
    "effective_comparison",
)
WORK_FIGURES = ("hazard_ratio", "ci_low", "ci_high", "p_value")
GOAL_FIGURES = (
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "mean_participants",
    "mean_comparison",
    "share_missing",
    "goals_participants",
    "goals_comparison",
)
"""The figures of an effect on reaching goals, withheld like an effect on change."""


def _two_way(total: int, part: int, t: int) -> tuple[int | None, int | None]:
    """(total, part) of one line part + rest = total, protected (rest never shown)."""
    line = distribution({"part": part, "rest": total - part}, t=t)
    return line.total, line.column()["part"]


def _effect_row(
    row: Mapping[str, Any], t: int, figures: tuple[str, ...] = EFFECT_FIGURES, *, on_exact: bool = False
) -> dict[str, Any]:
    """Participants and comparison people, each with those measured as a line (measured +
    not measured = all); the estimates withheld when the measured of either side are
    fewer than T or hidden, since an effect is a difference of their means. For an effect
    on reaching goals, "measured" are those with a goal due (`GOAL_FIGURES`), and
    `on_exact` withholds on the exact counts: nearly every participant has a goal due, so
    the few without are a small count whose line hides the count with one, yet the
    estimate rests on those with one (T or more) and shows nothing of the few."""
    participants, measured_p = _two_way(int(row["participants"]), int(row["measured_participants"]), t)
    comparison, measured_c = _two_way(int(row["comparison"]), int(row["measured_comparison"]), t)
    counts = {"participants": participants, "measured_participants": measured_p}
    counts |= {"comparison": comparison, "measured_comparison": measured_c}
    basis = (int(row["measured_participants"]), int(row["measured_comparison"])) if on_exact else (measured_p, measured_c)
    withheld = any(v is None or v < t for v in basis)
    return dict(row) | counts | ({f: None for f in figures} if withheld else _derived(measured_p, measured_c))


def _derived(measured_p: int | None, measured_c: int | None) -> dict[str, None]:
    """Figures that would give a hidden count back: the share of participants without a
    follow-up (or a goal due) is participants minus measured over participants, and a side's
    goals are counted with its measured people."""
    hidden: dict[str, None] = {}
    if measured_p is None:
        hidden |= {"share_missing": None, "tipping_delta": None, "goals_participants": None}
    if measured_c is None:
        hidden |= {"goals_comparison": None}
    return hidden


def _work_row(row: Mapping[str, Any], t: int) -> dict[str, Any]:
    """People followed and those who found work as a line (found + not = people); the hazard
    ratio withheld when either part is below T."""
    people, events = _two_way(int(row["people"]), int(row["events"]), t)
    withheld = events is None or people is None or events < t or people - events < t
    return dict(row) | {"people": people, "events": events} | ({f: None for f in WORK_FIGURES} if withheld else {})


def release_change_effects(record: Mapping[str, Any], *, t: int | None = None) -> dict[str, Any]:
    """The effects on change and the hazard ratios of work (`polku.change.record.effects_record`)
    as they may be shown; rows share people and are never added up."""
    t = threshold() if t is None else t
    return dict(record) | {
        "effects": [_effect_row(r, t) for r in record["effects"]],
        "work": [_work_row(r, t) for r in record["work"]],
        "goal_effects": [_effect_row(r, t, GOAL_FIGURES, on_exact=True) for r in record.get("goal_effects", [])],
        "threshold": t,
    }
