"""Impact per service per area on the national register: each (area, service) estimate,
beside the area's true effect when the register is synthetic.

The estimates come from the same cohort and estimator as an area's own analysis
(`polku.engine.run.area_views`: on Spark one group per (area, service)); this module only
lays them out as the table `national_impact`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from polku.store.connection import Store

COLUMNS = ("participants", "comparison", "estimate", "lower", "upper")


def _row(area: str, service: str, view: Any) -> dict[str, Any]:
    result = view.overall.result
    return {
        "area": area,
        "service_code": service,
        "method": result.method,
        "outcome": view.overall.outcome,
        "participants": result.n_treated,
        "comparison": result.n_control,
        "estimate": result.estimate,
        "lower": result.ci_low,
        "upper": result.ci_high,
        "note": result.note,
    }


def true_effects(register: Store, outcome: str) -> pd.DataFrame:
    """The synthetic register's true ATT per (area, service) for `outcome`; empty when the
    register has no ground truth (a real one)."""
    try:
        t = register.table("ground_truth_effects")
        rows = t.filter(t.level == "service", t.outcome == outcome).select("area", "service_code", true_att=t.att).to_pandas()
    except Exception:  # no ground truth in a real register
        return pd.DataFrame(columns=["area", "service_code", "true_att"])
    return rows


def impact_table(views: Mapping[tuple[str, str], Any], truth: pd.DataFrame) -> pd.DataFrame:
    """One row per (area, service): participants, comparison, the effect and its interval,
    and the true effect where known; ordered by area and service."""
    rows = pd.DataFrame([_row(area, service, view) for (area, service), view in sorted(views.items())])
    if rows.empty:
        return pd.DataFrame(columns=["area", "service_code", *COLUMNS, "true_att"])
    out = rows.merge(truth, on=["area", "service_code"], how="left")
    for column in ("participants", "comparison"):
        out[column] = out[column].astype("Int64")
    return out.astype({"estimate": float, "lower": float, "upper": float, "true_att": float})
