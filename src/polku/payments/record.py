"""A payment model's result as one plain record: what `polku payments --json` prints and the
report section shows, before and after the disclosure gate.

Why one record: the terminal, JSON and the report show the same figures under the same
protection (`polku.sdc.payments.release_rows`), as the change and estimate records do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from polku.payments.calculate import payments
from polku.payments.model import PaymentModel
from polku.sdc.payments import release_rows

COUNT = "participants"
PARTS = ("followed", "employed")
MONEY = ("payment", "progress_fees", "deadweight_fees", "value_added", "value_lower", "value_upper", "additional")
DERIVED = (*MONEY, "payment_per_participant", "value_per_participant", "payment_per_value", "earnings_per_employed")


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _row(r: Mapping[str, Any]) -> dict[str, Any]:
    n = int(r["participants"])
    out: dict[str, Any] = {k: str(r[k]) for k in ("provider_id", "service_code", "period")}
    out |= {"participants": n, "followed": int(r["followed"]), "employed": int(r["employed"])}
    out |= {k: _number(r[k]) for k in MONEY}
    out["effect"], out["effect_level"] = _number(r["effect"]), str(r["effect_level"])
    out["payment_per_participant"] = out["payment"] / n if n else None
    value = out["value_added"]
    out["value_per_participant"] = value / n if n and value is not None else None
    out["payment_per_value"] = _number(r["payment_per_value"])
    out["earnings_per_employed"] = float(r["earnings"]) / int(r["employed"]) if int(r["employed"]) else None
    return out


def _model_part(model: PaymentModel) -> dict[str, Any]:
    return {
        "name": model.name,
        "kind": model.kind,
        "file": model.path,
        "period": model.period,
        "window_months": model.window_months,
    }


def payment_record(tables: Mapping[str, pd.DataFrame], model: PaymentModel, run_id: str | None = None) -> dict[str, Any]:
    """The exact record: the model, then one row per provider, service and period."""
    frame = payments(dict(tables), model)
    rows = [_row(r) for r in frame.to_dict("records")] if "followed" in frame else []
    return {"run_id": run_id, "model": _model_part(model), "rows": rows}


def release_payments(record: Mapping[str, Any], *, t: int | None = None) -> dict[str, Any]:
    """The record through the gate: small counts and the money over them withheld."""
    rows = release_rows(record["rows"], n_key=COUNT, parts=PARTS, derived=(*DERIVED, "effect"), t=t)
    return dict(record) | {"rows": rows}


def _cell(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ".."
    return f"{value:,.{digits}f}".replace(",", " ")


def render_text(record: Mapping[str, Any]) -> str:
    """Plain text for the terminal: the model, then a line per provider, service and period."""
    m = record["model"]
    lines = [f"{m['name']} ({m['kind']}, {m['file']})", f"run {record['run_id']}", ""]
    head = f"{'provider':<12} {'service':<10} {'period':<8} {'clients':>8} {'in work':>8}"
    lines.append(head + f" {'payment':>12} {'value added':>12} {'pay/value':>9}")
    for r in record["rows"]:
        lines.append(
            f"{r['provider_id']:<12} {r['service_code']:<10} {r['period']:<8} {_cell(r['participants']):>8} "
            f"{_cell(r['employed']):>8} {_cell(r['payment']):>12} {_cell(r['value_added']):>12} "
            f"{_cell(r['payment_per_value'], 2):>9}"
        )
    lines += ["", "value added: estimated additional employments x public gain over the horizon (impact and fiscal engines)."]
    lines.append(".. = withheld by the disclosure gate (fewer people than the threshold).")
    return "\n".join(lines)
