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
