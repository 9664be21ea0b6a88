"""The gate for change figures (`polku change`, the report section `change`).

Counts of clients improved, unchanged and worsened are protected as a table per group of
rows (items; services and items of one period) with each row's total, the clients; a
mean change, its interval and the distance travelled are withheld when they rest on fewer
than T clients or when the row's clients are hidden. GAS T-scores: the clients below, at
and above 50 as a distribution with its total, the mean T under the same rule; goals per
domain and GAS level as a table with its margins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from polku.sdc.tables import count_table, distribution, is_sensitive, threshold

CLASSES = ("improved", "unchanged", "worsened")
BANDS = ("below", "at", "above")
MEANS = ("mean_change", "ci_low", "ci_high", "mean_distance")


def _protected_rows(rows: Sequence[Mapping[str, Any]], t: int) -> list[dict[str, Any]]:
    """Rows of class counts protected together (one table, rows x classes, with totals)."""
    if not rows:
        return []
    keys = [str(i) for i in range(len(rows))]
    table = count_table([[int(r[c]) for c in CLASSES] for r in rows], keys, CLASSES, t=t)
    out = []
    for row, cells, total in zip(rows, table.cells, table.row_totals):
        withheld = total is None or is_sensitive(int(row["clients"]), t) or int(row["clients"]) < t
        released = dict(row) | dict(zip(CLASSES, cells)) | {"clients": total}
        out.append(released | ({m: None for m in MEANS if m in row} if withheld else {}))
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
    periods = sorted({str(r["period"]) for r in record["services"]})
    services = [r for p in periods for r in _protected_rows([s for s in record["services"] if s["period"] == p], t)]
    return dict(record) | {
        "items": _protected_rows(record["items"], t),
        "services": services,
        "gas": _gas(record["gas"], t),
        "gas_levels": _levels(record["gas_levels"], t),
        "threshold": t,
    }
