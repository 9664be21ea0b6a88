"""The cost-benefit section's results as tables, and the rows rebuilt from them.

Why: the cost-benefit analysis (its Monte Carlo above all) runs once in `polku analyse`;
the report, the JSON and the dashboard read its stored figures, exact, and the gate
(`sdc.release_cost_benefit`) is applied when they are shown. `stored_cost_benefit` gives
back the very `ServiceCostBenefit` rows the analysis made, so a record's gate sees the
same values as before.

Tables: `cba_results` one row per service (the point result, the effect in additional
employments, the counts, the assumptions), `cba_monte_carlo` the draws' summary,
`cba_tornado` the inputs that move the net benefit most, `cba_gain_by` the gain of one
employment by payer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from polku.cba.analysis import Assumptions, CostBenefit, Effect, MonteCarlo, TornadoBar
from polku.cba.store import ServiceCostBenefit
from polku.reports.sections.impact_tables import Schema, frame, text_or_none

PERCENTILES = (5, 25, 50, 75, 95)

RESULTS: Schema = {
    "service_code": "object",
    "year": "int64",
    "reason": "object",
    "note": "object",
    "has_result": "bool",
    "participants": "Int64",
    "participants_in_estimate": "Int64",
    "cost": "float64",
    "additional_employments": "float64",
    "has_effect": "bool",
    "additional_lower": "float64",
    "additional_upper": "float64",
    "gain_per_employment": "float64",
    "gain_per_employment_with_pension": "float64",
    "present_value_factor": "float64",
    "benefit": "float64",
    "benefit_with_pension": "float64",
    "benefit_per_employment": "float64",
    "net": "float64",
    "net_with_pension": "float64",
    "ratio": "float64",
    "employed": "int64",
    "wages_imputed": "int64",
    "costs_missing": "int64",
    "fallbacks": "int64",
    "seed": "int64",
    "has_assumptions": "bool",
    "horizon_years": "Int64",
    "persistence": "float64",
    "discount_rate": "float64",
    "optimism_bias": "float64",
    "wage_uncertainty": "float64",
}
"""participants: all the service's followed participants (the effect is applied to them);
participants_in_estimate: those the effect was estimated on (impact_effects' participants)."""

MONTE_CARLO: Schema = {
    "service_code": "object",
    "draws": "int64",
    "probability_benefit_exceeds_cost": "float64",
    "probability_with_pension": "float64",
    **{f"net_p{p}": "float64" for p in PERCENTILES},
    **{f"net_with_pension_p{p}": "float64" for p in PERCENTILES},
}
TORNADO: Schema = {
    "service_code": "object",
    "rank": "int64",
    "key": "object",
    "name": "object",
    "low_input": "float64",
    "high_input": "float64",
    "net_at_low": "float64",
    "net_at_high": "float64",
}
GAIN_BY: Schema = {"service_code": "object", "payer": "object", "gain": "float64"}

TABLES: dict[str, Schema] = {
    "cba_results": RESULTS,
    "cba_monte_carlo": MONTE_CARLO,
    "cba_tornado": TORNADO,
    "cba_gain_by": GAIN_BY,
}

_RESULT_FIELDS = (
    "participants",
    "cost",
    "additional_employments",
    "gain_per_employment",
    "gain_per_employment_with_pension",
    "present_value_factor",
    "benefit",
    "benefit_with_pension",
    "benefit_per_employment",
)
_ASSUMPTIONS = ("horizon_years", "persistence", "discount_rate", "optimism_bias", "wage_uncertainty")


def _result_row(row: ServiceCostBenefit) -> dict[str, Any]:
    out: dict[str, Any] = {
        "service_code": row.service_code,
        "year": row.year,
        "reason": row.reason,
        "note": row.note,
        "has_result": row.result is not None,
        "participants_in_estimate": row.in_estimate,
        "has_effect": row.effect is not None,
        "employed": row.employed,
        "wages_imputed": row.wages_imputed,
        "costs_missing": row.costs_missing,
        "fallbacks": row.fallbacks,
        "seed": row.seed,
        "has_assumptions": row.assumptions is not None,
    }
    if row.result is not None:
        out |= {k: getattr(row.result, k) for k in _RESULT_FIELDS}
        out |= {"net": row.result.net, "net_with_pension": row.result.net_with_pension, "ratio": row.result.ratio}
    if row.effect is not None:
        out |= {"additional_lower": row.effect.ci_low, "additional_upper": row.effect.ci_high}
        out.setdefault("additional_employments", row.effect.estimate)
    if row.assumptions is not None:
        out |= {k: getattr(row.assumptions, k) for k in _ASSUMPTIONS}
    return out


def cba_tables(rows: Sequence[ServiceCostBenefit]) -> dict[str, pd.DataFrame]:
    """Every cost-benefit table of a run."""
    monte_carlo = [
        {
            "service_code": r.service_code,
            "draws": r.monte_carlo.draws,
            "probability_benefit_exceeds_cost": r.monte_carlo.probability_benefit_exceeds_cost,
            "probability_with_pension": r.monte_carlo.probability_with_pension,
            **{f"net_p{p}": r.monte_carlo.net_percentiles[p] for p in PERCENTILES},
            **{f"net_with_pension_p{p}": r.monte_carlo.net_with_pension_percentiles[p] for p in PERCENTILES},
        }
        for r in rows
        if r.monte_carlo is not None
    ]
    tornado = [{"service_code": r.service_code, "rank": k} | bar.__dict__ for r in rows for k, bar in enumerate(r.tornado)]
    gain_by = [{"service_code": r.service_code, "payer": payer, "gain": gain} for r in rows for payer, gain in r.gain_by.items()]
    return {
        "cba_results": frame((_result_row(r) for r in rows), RESULTS),
        "cba_monte_carlo": frame(monte_carlo, MONTE_CARLO),
        "cba_tornado": frame(tornado, TORNADO),
        "cba_gain_by": frame(gain_by, GAIN_BY),
    }


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _monte_carlo(row: Any) -> MonteCarlo:
    return MonteCarlo(
        int(row.draws),
        float(row.probability_benefit_exceeds_cost),
        float(row.probability_with_pension),
        {p: float(getattr(row, f"net_p{p}")) for p in PERCENTILES},
        {p: float(getattr(row, f"net_with_pension_p{p}")) for p in PERCENTILES},
    )


def _stored_row(
    r: Any, monte_carlo: MonteCarlo | None, tornado: list[TornadoBar], gain_by: dict[str, float]
) -> ServiceCostBenefit:
    result = None
    if r.has_result:
        result = CostBenefit(int(r.participants), *(float(getattr(r, k)) for k in _RESULT_FIELDS[1:]))
    effect = (
        Effect(float(r.additional_employments), float(r.additional_lower), float(r.additional_upper)) if r.has_effect else None
    )
    assumptions = None
    if r.has_assumptions:
        assumptions = Assumptions(int(r.horizon_years), *(float(getattr(r, k)) for k in _ASSUMPTIONS[1:]))
    return ServiceCostBenefit(
        str(r.service_code),
        int(r.year),
        result,
        monte_carlo,
        tornado,
        int(r.employed),
        int(r.wages_imputed),
        int(r.costs_missing),
        gain_by,
        text_or_none(r.note),
        effect,
        _int(r.participants_in_estimate),
        text_or_none(r.reason),
        int(r.fallbacks),
        assumptions,
        int(r.seed),
    )


def stored_cost_benefit(results: Mapping[str, pd.DataFrame]) -> list[ServiceCostBenefit]:
    """The run's cost-benefit rows, as the analysis made them, in its order."""
    monte_carlo = {str(r.service_code): _monte_carlo(r) for r in results["cba_monte_carlo"].itertuples(index=False)}
    tornado: dict[str, list[TornadoBar]] = {}
    for b in results["cba_tornado"].sort_values(["service_code", "rank"], kind="stable").itertuples(index=False):
        bar = TornadoBar(
            str(b.key), str(b.name), float(b.low_input), float(b.high_input), float(b.net_at_low), float(b.net_at_high)
        )
        tornado.setdefault(str(b.service_code), []).append(bar)
    gain_by: dict[str, dict[str, float]] = {}
    for g in results["cba_gain_by"].itertuples(index=False):
        gain_by.setdefault(str(g.service_code), {})[str(g.payer)] = float(g.gain)
    return [
        _stored_row(
            r, monte_carlo.get(str(r.service_code)), tornado.get(str(r.service_code), []), gain_by.get(str(r.service_code), {})
        )
        for r in results["cba_results"].itertuples(index=False)
    ]
