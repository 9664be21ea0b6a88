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

Ratings: High above the upper and Low below the lower 95 % limit of the overdispersed
funnel, Moderate otherwise; the 99.8 % limits are shown beside them. The overdispersion
(additive random effect by default) is estimated once per area from all its providers of
services with two or more, not per service: a service has two to eight providers, too few to
tell unexplained case-mix from the very differences a rating is for (docs/providers.md,
section 4). Rows are ordered by service and provider id, never by rank.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from polku.impact.design import is_binary
from polku.pipeline.by_service import augmented_column
from polku.pipeline.store_views import ServiceView, analysis_rows, expected_model_fit
from polku.providers import funnel
from polku.typed import typed_frame

RATE_AT = 0.95
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
E; *_998 the 99.8 % ones; rating from the `rate_at` limits. naive_*: the same for O/n. phi
and tau2 (relative to the target) are the area's, the same on every row of a run."""


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


def _funnel(
    indicator: str, per: pd.DataFrame, value: str, volume: str, target: str, dispersion: str, rate_at: float
) -> tuple[dict[tuple[str, str], funnel.Position], funnel.Dispersion]:
    """Every row of `per` placed on its service's funnel, with one overdispersion estimated
    from all the rows (all the area's providers of services with two or more)."""
    spread = funnel.estimate_dispersion(indicator, per[target], per[value], per[volume], dispersion, per["service_code"])
    placed: dict[tuple[str, str], funnel.Position] = {}
    for code, part in per.groupby("service_code", sort=True):
        at = funnel.place(indicator, float(part[target].iloc[0]), part[value], part[volume], dispersion=spread, rate_at=rate_at)
        placed |= {(str(code), str(pid)): position for pid, position in zip(part["provider_id"], at)}
    return placed, spread


def _with_targets(per: pd.DataFrame) -> pd.DataFrame:
    """The providers with a positive E, their ratio and naive rate, and their service's targets
    (the service's O/E and employed share, kept inside the funnels' domains)."""
    per = per[per["expected"] > 0].copy()
    by = per.groupby("service_code")
    per["target"] = by["observed"].transform("sum") / by["expected"].transform("sum")
    per["naive_target"] = by["observed"].transform("sum") / by["participants"].transform("sum")
    per["ratio"], per["naive_rate"] = per["observed"] / per["expected"], per["observed"] / per["participants"]
    per["funnel_target"] = per["target"].clip(lower=1e-9)
    per["naive_funnel_target"] = per["naive_target"].clip(1e-9, 1 - 1e-9)
    per["volume"] = per["participants"].astype(float)
    return per


def rate_providers(per: pd.DataFrame, *, dispersion: str = DISPERSION, rate_at: float = RATE_AT) -> list[dict[str, Any]]:
    """An area's providers (`per`: one row each per service with service_code, provider_id,
    participants, observed and expected) placed on their services' funnels (`COMPARISON`'s
    columns), with the overdispersion of the whole area."""
    per = _with_targets(per.sort_values(["service_code", "provider_id"]))
    if per.empty:
        return []
    adjusted, spread = _funnel("ratio", per, "ratio", "expected", "funnel_target", dispersion, rate_at)
    naive, naive_spread = _funnel("proportion", per, "naive_rate", "volume", "naive_funnel_target", dispersion, rate_at)
    rows = []
    for row in per.to_dict("records"):
        key = (str(row["service_code"]), str(row["provider_id"]))
        a, b = adjusted[key], naive[key]
        rows.append(
            {
                "service_code": key[0],
                "provider_id": key[1],
                "participants": int(row["participants"]),
                "observed": float(row["observed"]),
                "expected": float(row["expected"]),
                "ratio": a.value,
                "target": float(row["target"]),
                "lower": a.lower95,
                "upper": a.upper95,
                "lower_998": a.lower998,
                "upper_998": a.upper998,
                "rating": a.rating,
                "naive_rate": b.value,
                "naive_target": float(row["naive_target"]),
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
    per = expected.groupby(["service_code", "provider_id"], sort=True, as_index=False).agg(
        participants=("observed", "size"), observed=("observed", "sum"), expected=("expected", "sum")
    )
    return typed_frame(rate_providers(per, dispersion=dispersion, rate_at=rate_at), COMPARISON)
