"""The change tables as one plain record: what `polku change --json` prints and the report
section shows, before the disclosure gate (`polku.sdc.release_change`) protects it.

Why one record: the report, the terminal and JSON must show the same figures with the
same protection, so all three start from this record (like an estimate's `to_dict()`).
Means carry a normal-approximation 95 % interval, mean +- 1.96 * SD / sqrt(n).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from polku.change.measures import CLASSES, GAS_BANDS

WITHHELD_SMALL = "withheld_small_comparison"
"""`interval` of an effect on change withheld because its weighted comparison group is worth
fewer than 10 people and the run made no bootstrap (`polku.change.effects.interval_figures`);
here, light, for the report section that says why."""

Z95 = 1.96


def interval(mean: float | None, sd: float | None, n: int) -> tuple[float | None, float | None]:
    """The 95 % interval of a mean of n values (None when n < 2 or a value is missing)."""
    if mean is None or sd is None or n < 2 or not (math.isfinite(mean) and math.isfinite(sd)):
        return None, None
    half = Z95 * sd / math.sqrt(n)
    return mean - half, mean + half


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _change_row(row: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    n = int(row["clients"])
    mean, sd = _float(row["mean_change"]), _float(row["sd_change"])
    low, high = interval(mean, sd, n)
    out: dict[str, Any] = {k: str(row[k]) for k in keys}
    out |= {"clients": n, **{c: int(row[c]) for c in CLASSES}}
    return out | {"mean_change": mean, "ci_low": low, "ci_high": high, "mean_distance": _float(row["mean_distance"])}


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(frame.columns, values)) for values in frame.itertuples(index=False, name=None)]


def change_record(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """The exact record of the `change_*` tables (see `polku.change.measures.summaries`)."""
    items = []
    for row in _rows(tables["change_items"]):
        extra = {"sd": float(row["sd"]), "sd_source": str(row["sd_source"]), "reliability": float(row["reliability"])}
        items.append(_change_row(row, ("instrument", "item")) | extra)
    services = [_change_row(row, ("service_code", "period", "instrument", "item")) for row in _rows(tables["change_services"])]
    gas_frame = tables["change_gas"]
    gas: dict[str, Any] = {"clients": 0, **dict.fromkeys(GAS_BANDS, 0), "mean_t": None, "ci_low": None, "ci_high": None}
    if len(gas_frame):
        g = _rows(gas_frame)[0]
        mean, sd, n = _float(g["mean_t"]), _float(g["sd_t"]), int(g["clients"])
        low, high = interval(mean, sd, n)
        gas = {"clients": n, **{b: int(g[b]) for b in GAS_BANDS}, "mean_t": mean, "ci_low": low, "ci_high": high}
    levels = [
        {"domain": str(r["domain"]), "level": str(r["level"]), "count": int(r["count"])}
        for r in _rows(tables["change_gas_levels"])
    ]
    return {"items": items, "services": services, "gas": gas, "gas_levels": levels}


def _num(value: float | int | None, decimals: int = 0) -> str:
    from polku.sdc import show

    return show(value, f"{{:,.{decimals}f}}")


def _line(label: str, row: Mapping[str, Any]) -> str:
    counts = "  ".join(f"{c} {_num(row[c])}" for c in CLASSES)
    mean = f"mean {_num(row['mean_change'], 2)} [{_num(row['ci_low'], 2)}, {_num(row['ci_high'], 2)}]"
    return f"  {label:<48} {counts}  of {_num(row['clients'])}  {mean}"


def render_text(record: Mapping[str, Any]) -> str:
    """The record as terminal text: one line per item, per service and item, and the GAS lines."""
    lines = ["Reliable change (|RCI| > 1.96), first to latest measurement, by instrument: item"]
    lines += [_line(f"{r['instrument']}: {r['item']}", r) for r in record["items"]] or ["  no client measured twice"]
    for period in ("start_end", "start_after"):
        rows = [r for r in record["services"] if r["period"] == period]
        if rows:
            lines += ["", f"By service, {period.replace('_', ' to ')} (episodes)"]
            lines += [_line(f"{r['service_code']}: {r['instrument']}: {r['item']}", r) for r in rows]
    g = record["gas"]
    lines += ["", "Goal attainment (GAS T-score, 50 = as expected)"]
    lines.append(
        f"  clients {_num(g['clients'])}  below 50 {_num(g['below'])}  at 50 {_num(g['at'])}  above 50 {_num(g['above'])}"
        f"  mean T {_num(g['mean_t'], 1)} [{_num(g['ci_low'], 1)}, {_num(g['ci_high'], 1)}]"
    )
    lines += ["", "Before-and-after figures of the people measured, not effects of services (docs/change.md)."]
    return "\n".join(lines)


def _plain(value: Any) -> Any:
    """A table cell as JSON-ready Python: NaN and None become None, numpy numbers plain."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _plain_rows(tables: Mapping[str, pd.DataFrame], name: str) -> list[dict[str, Any]]:
    """The table's rows as JSON-ready dicts; none when the run has no such table (a run
    made before it existed)."""
    return [{k: _plain(v) for k, v in row.items()} for row in _rows(tables[name])] if name in tables else []


def effects_record(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """The exact record of `change_effects`, `change_work` and `change_goal_effects`
    (polku.change.effects, polku.change.work, polku.change.goal_effects), before the gate
    (`polku.sdc.release_change_effects`)."""
    names = {"effects": "change_effects", "work": "change_work", "goal_effects": "change_goal_effects"}
    return {key: _plain_rows(tables, name) for key, name in names.items()}


def _group(row: Mapping[str, Any]) -> str:
    """`all`, or grouping/group (the same code can name a rule group and the work-ability split)."""
    grouping = row.get("grouping") or "all"
    return "all" if grouping == "all" else f"{grouping}/{row['client_group']}"


def _effect_line(row: Mapping[str, Any]) -> str:
    label = f"{row['service_code']} {_group(row)}: {row['instrument']}: {row['item']}, {row['months']} months"
    counts = f"participants {_num(row['participants'])} (measured {_num(row['measured_participants'])})"
    effect = f"effect {_num(row['estimate'], 2)} [{_num(row['ci_low'], 2)}, {_num(row['ci_high'], 2)}]"
    plain = f"measured only {_num(row['estimate_unweighted'], 2)}"
    note = f"  ({row['note']})" if row.get("note") else ""
    return f"  {label:<72} {counts}  {effect}  {plain}  tipping delta {_num(row['tipping_delta'], 2)}{note}"


def _work_line(row: Mapping[str, Any]) -> str:
    ratio = f"HR {_num(row['hazard_ratio'], 2)} [{_num(row['ci_low'], 2)}, {_num(row['ci_high'], 2)}]"
    note = f"  ({row['note']})" if row.get("note") else ""
    return (
        f"  {row['instrument']}: {row['item']:<32} people {_num(row['people'])}  found work {_num(row['events'])}  {ratio}{note}"
    )


def _goal_line(row: Mapping[str, Any]) -> str:
    label = f"{row['service_code']} {_group(row)}: {row['outcome']}, {row['months']} months"
    counts = f"participants {_num(row['participants'])} (with a goal due {_num(row['measured_participants'])})"
    effect = f"effect {_num(row['estimate'], 3)} [{_num(row['ci_low'], 3)}, {_num(row['ci_high'], 3)}]"
    means = f"mean {_num(row['mean_participants'], 3)} against {_num(row['mean_comparison'], 3)}"
    note = f"  ({row['note']})" if row.get("note") else ""
    return f"  {label:<56} {counts}  {effect}  {means}{note}"


def render_effects_text(record: Mapping[str, Any]) -> str:
    """The effects on change, on reaching goals and the hazard ratios as terminal text."""
    lines = ["Effects of services on change (scale points; weighted for the chance of being measured)"]
    lines += [_effect_line(r) for r in record["effects"]] or ["  none in the analysis run"]
    lines += ["", "Effects of services on reaching plan goals (reached: share of due goals; gas_t: T-score)"]
    lines += [_goal_line(r) for r in record.get("goal_effects", [])] or ["  none in the analysis run"]
    lines += ["", "Change and later open-market work: hazard ratio per point of change (landmark at 6 months)"]
    lines += [_work_line(r) for r in record["work"]] or ["  none in the analysis run"]
    return "\n".join(lines)
