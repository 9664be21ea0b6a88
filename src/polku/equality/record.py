"""The equality tables as one record with their tests: what `polku equality --json` prints
and the report shows, before and after the disclosure gate.

Each comparison gets its z, two-sided p and Holm-adjusted p over every comparison of the
run (allocation, time, outcomes, calibration and effects together: one family), and is
flagged only where the adjusted p is below 0.05 (`polku.equality.significance`). The
gate hides a group smaller than the threshold with its figures; a hidden group's test is
still counted in the family (it was made), but not shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from polku.equality.significance import ALPHA, Test, difference, holm
from polku.sdc.payments import release_rows

TEST_COLUMNS = {"observed": "float64", "expected": "float64", "variance": "float64"}
SCHEMAS: dict[str, dict[str, str]] = {
    "equality_allocation": {
        "attribute": "object",
        "level": "object",
        "service_code": "object",
        "people": "int64",
        **TEST_COLUMNS,
    },
    "equality_time": {"attribute": "object", "level": "object", "people": "int64", **TEST_COLUMNS, "median_days": "float64"},
    "equality_outcomes": {"attribute": "object", "level": "object", "people": "int64", **TEST_COLUMNS},
    "equality_calibration": {"attribute": "object", "level": "object", "people": "int64", **TEST_COLUMNS},
    "equality_effects": {
        "attribute": "object",
        "level": "object",
        "service_code": "object",
        "people": "int64",
        **{f"{side}_{k}": "float64" for side in ("group", "rest") for k in ("estimate", "se", "lower", "upper")},
    },
}
"""The tables `polku.equality.compute.equality_tables` stores in a run, with their columns' dtypes."""

MEASURES = ("allocation", "time", "outcomes", "calibration", "effects")
TESTED = ("observed", "expected", "variance")


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _tested(row: Mapping[str, Any], measure: str) -> dict[str, Any]:
    t = Test(float(row["observed"]), float(row["expected"]), float(row["variance"]))
    out = {"measure": measure, **{k: row[k] for k in ("attribute", "level")}}
    out |= {"service_code": row.get("service_code"), "people": int(row["people"])}
    out |= {"observed": t.observed, "expected": t.expected, "ratio": t.observed / t.expected if t.expected > 0 else None}
    out |= {"z": _num(t.z), "p": _num(t.p), "median_days": _num(row.get("median_days"))}
    return out


def _effect(row: Mapping[str, Any]) -> dict[str, Any]:
    p = difference(row["group_estimate"], row["group_se"], row["rest_estimate"], row["rest_se"])
    out = {"measure": "effects", "attribute": row["attribute"], "level": row["level"], "service_code": row["service_code"]}
    out |= {"people": int(row["people"]), **{k: _num(row[k]) for k in row if k.startswith(("group_", "rest_"))}}
    return out | {"p": _num(p)}


def equality_record(tables: Mapping[str, pd.DataFrame], run_id: str | None = None) -> dict[str, Any]:
    """Every comparison of the run with its p and Holm-adjusted p, flagged or not."""
    rows: list[dict[str, Any]] = []
    for measure in MEASURES:
        frame = tables.get(f"equality_{measure}")
        if frame is None:
            continue
        make = _effect if measure == "effects" else lambda r, m=measure: _tested(r, m)
        rows += [make(r) for r in frame.to_dict("records")]
    adjusted = holm([np.nan if r["p"] is None else r["p"] for r in rows])
    for row, p in zip(rows, adjusted, strict=True):
        row["p_adjusted"] = None if math.isnan(p) else float(p)
        row["flagged"] = row["p_adjusted"] is not None and row["p_adjusted"] < ALPHA
    return {
        "run_id": run_id,
        "alpha": ALPHA,
        "adjustment": "holm",
        "tests": len([r for r in rows if r["p"] is not None]),
        "rows": rows,
    }


ESTIMATES = tuple(f"{side}_{k}" for side in ("group", "rest") for k in ("estimate", "se", "lower", "upper"))
DERIVED: tuple[str, ...] = ("observed", "expected", "ratio", "z", "p", "p_adjusted", "median_days", *ESTIMATES)


def release_equality(record: Mapping[str, Any], *, t: int | None = None) -> dict[str, Any]:
    """The record through the gate: a group below the threshold is withheld with its figures
    (and not flagged); observed counts of a few people are withheld too."""
    rows = release_rows(record["rows"], n_key="people", derived=(*DERIVED, "flagged"), t=t)
    out = []
    for row in rows:
        observed = row.get("observed")
        if row["measure"] in ("allocation", "time", "outcomes", "calibration") and observed is not None:
            hidden = release_rows([{"n": row["people"], "o": int(round(observed))}], n_key="n", parts=("o",), t=t)[0]
            if hidden["o"] is None:
                row = row | {"observed": None, "ratio": None, "sdc_applied": True}
        out.append(row)
    return dict(record) | {"rows": out}


def _cell(value: Any, digits: int = 1) -> str:
    return ".." if value is None else f"{value:,.{digits}f}".replace(",", " ")


def render_text(record: Mapping[str, Any]) -> str:
    """Plain text: the flagged differences first, then every comparison."""
    lines = [f"run {record['run_id']}: {record['tests']} tests, Holm-adjusted, flagged where adjusted p < {record['alpha']}", ""]
    head = (
        f"{'measure':<12} {'attribute':<22} {'group':<14} {'service':<8} {'people':>7} {'obs':>8} {'exp':>8} {'adj. p':>7}  flag"
    )
    lines.append(head)
    rows = sorted(record["rows"], key=lambda r: (not r.get("flagged"), r["measure"], r["attribute"], str(r["level"])))
    for r in rows:
        obs = r.get("observed", r.get("group_estimate"))
        exp = r.get("expected", r.get("rest_estimate"))
        digits = 3 if r["measure"] == "effects" else 1
        lines.append(
            f"{r['measure']:<12} {r['attribute']:<22} {str(r['level'])[:14]:<14} {str(r.get('service_code') or ''):<8} "
            f"{_cell(r['people'], 0):>7} {_cell(obs, digits):>8} {_cell(exp, digits):>8} {_cell(r.get('p_adjusted'), 3):>7}  "
            f"{'DIFFERS' if r.get('flagged') else ''}"
        )
    lines += ["", "effects: obs = the group's estimated effect, exp = everyone else's.", ".. = withheld by the disclosure gate."]
    return "\n".join(lines)
