"""Observed against expected employment per provider and service, risk-adjusted and naive.

For each service, the seed model (`polku.impact.expected`, "expected versus observed": a
logistic model of work without the service, fitted on the service's weighted comparison
rows, `polku.pipeline.store_views.expected_model_fit`) gives each participant i a chance
p_i of work within the outcome window without the service. For provider k of the service:

    O_k = sum of its participants' outcomes,  E_k = sum of their p_i,  ratio R_k = O_k / E_k.

The service's providers are compared with the service's own average R = sum O / sum E
(indirect standardisation: E_k x R is what provider k's clients would have reached at the
service's average effect), on a funnel with volume E_k (`polku.providers.funnel`, indicator
`ratio`, target R). The naive comparison beside it puts the employment rate O_k / n_k on a
funnel around the service's rate with volume n_k: a provider with easier clients looks
better there and not on the risk-adjusted funnel.

Ratings: High above the upper and Low below the lower 99.8 % limit of the overdispersed
funnel (additive random effect by default), Moderate otherwise; the 95 % limits are shown
as a warning line. Rows are ordered by service and provider id, never by rank.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from polku.impact.design import is_binary
from polku.pipeline.by_service import augmented_column
from polku.pipeline.store_views import ServiceView, analysis_rows, expected_model_fit
from polku.providers import funnel
from polku.typed import typed_frame

RATE_AT = 0.998
DISPERSION = "additive"

EXPECTATIONS: dict[str, str] = {
    "service_code": "object",
    "provider_id": "object",
    "person_id": "object",
    "episode_id": "object",
    "start_date": "datetime64[ns]",
    "observed": "float64",
    "expected": "float64",
}
"""One row per participant with a followed outcome: the seed model's p_i beside the outcome."""

COMPARISON: dict[str, str] = {
    "service_code": "object",
    "provider_id": "object",
    "participants": "int64",
    "observed": "float64",
    "expected": "float64",
    "ratio": "float64",
    "target": "float64",
    "lower": "float64",
    "upper": "float64",
    "lower_998": "float64",
    "upper_998": "float64",
    "rating": "object",
    "naive_rate": "float64",
    "naive_target": "float64",
    "naive_lower": "float64",
    "naive_upper": "float64",
    "naive_lower_998": "float64",
    "naive_upper_998": "float64",
    "naive_rating": "object",
    "phi": "float64",
    "tau2": "float64",
    "naive_phi": "float64",
    "naive_tau2": "float64",
    "dispersion": "object",
    "rate_at": "float64",
}
"""One row per provider and service. lower/upper: the 95 % limits of O/E at the provider's
E; *_998 the 99.8 % ones; rating from the `rate_at` limits. naive_*: the same for O/n."""


def expectations(view: ServiceView, outcome: str, seed: int = 0) -> pd.DataFrame:
    """The service's participants with their outcome and seed-model chance p_i (none when
    the service has no estimate or the outcome is not 0/1)."""
    result = view.overall.result
    analysis = analysis_rows(view.frame, result) if "weight" in view.frame else None
    if analysis is None or result.suppressed:
        return typed_frame([], EXPECTATIONS)
    if augmented_column(outcome) in view.frame:
        analysis = analysis_rows(view.frame, result, "censoring_weight") or analysis
    y = analysis.outcome(outcome)
    if not is_binary(y) or not analysis.t.any() or analysis.t.all():
        return typed_frame([], EXPECTATIONS)
    p = expected_model_fit(analysis, y, seed).expected
    rows = analysis.frame.loc[analysis.t]
    data = pd.DataFrame(
        {
            "service_code": view.service_code,
            "provider_id": rows["provider_id"].astype(str).to_numpy(),
            "person_id": rows["person_id"].astype(str).to_numpy(),
            "episode_id": rows["episode_id"].astype(str).to_numpy(),
            "start_date": pd.to_datetime(rows["ref_date"]).to_numpy(),
            "observed": y[analysis.t],
            "expected": p,
        }
    )
    return typed_frame(data, EXPECTATIONS)


def _funnel_columns(
    indicator: str, values: np.ndarray, volume: np.ndarray, target: float, dispersion: str, rate_at: float
) -> tuple[list[funnel.Position], funnel.Dispersion]:
    spread = funnel.estimate_dispersion(indicator, target, values, volume, dispersion)
    return funnel.place(indicator, target, values, volume, dispersion=spread, rate_at=rate_at), spread


def _service_rows(part: pd.DataFrame, dispersion: str, rate_at: float) -> list[dict[str, Any]]:
    per = part.groupby("provider_id", sort=True).agg(
        participants=("observed", "size"), observed=("observed", "sum"), expected=("expected", "sum")
    )
    return rate_providers(str(part["service_code"].iloc[0]), per, dispersion=dispersion, rate_at=rate_at)


def rate_providers(
    service_code: str, per: pd.DataFrame, *, dispersion: str = DISPERSION, rate_at: float = RATE_AT
) -> list[dict[str, Any]]:
    """One service's providers (`per`: participants, observed and expected, indexed by
    provider id) placed on both funnels (`COMPARISON`'s columns)."""
    per = per[per["expected"] > 0]
    if per.empty:
        return []
    target = float(per["observed"].sum() / per["expected"].sum())
    naive_target = float(per["observed"].sum() / per["participants"].sum())
    ratio, rate = (per["observed"] / per["expected"]).to_numpy(), (per["observed"] / per["participants"]).to_numpy()
    adjusted, spread = _funnel_columns("ratio", ratio, per["expected"].to_numpy(), max(target, 1e-9), dispersion, rate_at)
    naive, naive_spread = _funnel_columns(
        "proportion", rate, per["participants"].to_numpy(dtype=float), min(max(naive_target, 1e-9), 1 - 1e-9), dispersion, rate_at
    )
    rows = []
    for i, (provider, row) in enumerate(per.iterrows()):
        a, b = adjusted[i], naive[i]
        rows.append(
            {
                "service_code": service_code,
                "provider_id": str(provider),
                "participants": int(row["participants"]),
                "observed": float(row["observed"]),
                "expected": float(row["expected"]),
                "ratio": a.value,
                "target": target,
                "lower": a.lower95,
                "upper": a.upper95,
                "lower_998": a.lower998,
                "upper_998": a.upper998,
                "rating": a.rating,
                "naive_rate": b.value,
                "naive_target": naive_target,
                "naive_lower": b.lower95,
                "naive_upper": b.upper95,
                "naive_lower_998": b.lower998,
                "naive_upper_998": b.upper998,
                "naive_rating": b.rating,
                "phi": spread.phi,
                "tau2": spread.tau2,
                "naive_phi": naive_spread.phi,
                "naive_tau2": naive_spread.tau2,
                "dispersion": dispersion,
                "rate_at": rate_at,
            }
        )
    return rows


def comparison(expected: pd.DataFrame, *, dispersion: str = DISPERSION, rate_at: float = RATE_AT) -> pd.DataFrame:
    """Every provider of every service on the risk-adjusted and the naive funnel, in order of
    service and provider id."""
    rows: list[dict[str, Any]] = []
    for _, part in expected.groupby("service_code", sort=True):
        rows += _service_rows(part, dispersion, rate_at)
    return typed_frame(rows, COMPARISON)
