"""The effects a run holds, as `polku analyse --json` prints them: per service (and per client
group and provider), the participants, the effect, its interval and the method.

Why through the estimate records: the disclosure gate (`polku.sdc.release_estimates`)
protects estimate records across their service, group and provider lines; turning the
run's `impact_effects` rows into those records gives the JSON the same figures as
`polku estimate --json` and the report. The table is read defensively: a run made before
the impact section stored it, or with columns missing, gives fewer fields, not an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

TABLE = "impact_effects"
COMPARISON_COLUMNS = ("n_control", "comparison", "n_comparison")
TRIMMED_COLUMNS = ("n_trimmed", "trimmed")


def _value(row: Mapping[str, Any], *names: str) -> Any:
    """The first of `names` the row has, with NaN and pandas' missing values as None."""
    for name in names:
        if name in row:
            value = row[name]
            if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
                return None
            return value.item() if hasattr(value, "item") else value
    return None


def _level(row: Mapping[str, Any]) -> str:
    if _value(row, "provider_id") is not None:
        return "service_provider"
    return "service_group" if _value(row, "client_group") is not None else "service"


def estimate_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """One `impact_effects` row as an estimate record (the fields `sdc.release_estimates` reads)."""
    return {
        "level": _level(row),
        "service_code": _value(row, "service_code"),
        "client_group": _value(row, "client_group"),
        "provider_id": _value(row, "provider_id"),
        "method": _value(row, "method"),
        "outcome": _value(row, "outcome"),
        "n_treated": _value(row, "participants", "n_treated"),
        "n_control": _value(row, *COMPARISON_COLUMNS),
        "n_trimmed": _value(row, *TRIMMED_COLUMNS) or 0,
        "estimate": _value(row, "estimate"),
        "ci_low": _value(row, "lower", "ci_low"),
        "ci_high": _value(row, "upper", "ci_high"),
        "note": _value(row, "note"),
    }


def estimate_records(results: Mapping[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Every row of the run's effects table as an estimate record; [] when the run has none."""
    if TABLE not in results:
        return []
    frame = results[TABLE]
    return [estimate_record(row) for row in frame.to_dict("records")]


def effect_lines(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Estimate records (released or exact) as the JSON's effects: plain names, nothing else."""
    return [
        {
            "level": r["level"],
            "service_code": r["service_code"],
            "client_group": r["client_group"],
            "provider_id": r["provider_id"],
            "method": r["method"],
            "outcome": r["outcome"],
            "participants": r["n_treated"],
            "comparison": r["n_control"],
            "estimate": r["estimate"],
            "lower": r["ci_low"],
            "upper": r["ci_high"],
            "suppressed": bool(r.get("suppressed", r["estimate"] is None)),
            "note": r.get("note"),
        }
        for r in records
    ]
