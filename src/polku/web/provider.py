"""The provider's view: their results beside the area's, from the latest analysis run.

`provider_results(tables, provider_id, t)` is the seam: it takes a run's tables and gives
the rows the page shows. Today it reads the run's `impact_effects`: for each service the
provider delivers, the effect on employment within the outcome's horizon (employment over
what the comparison group, the "expected", reached) of the provider's participants beside
the service's over the whole area, each with its interval. The full risk-adjusted provider
comparison (issue 18: observed against expected per provider, funnel limits) replaces this
function with one of the same shape. Every figure passes the gate the CLI's `analyse --json`
uses (`sdc.release_estimates` over all the run's estimates, so hidden cells stay hidden
across margins); t=1 gives the analyst's exact figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from polku import sdc
from polku.runs.effects import effect_lines, estimate_records

FIELDS = ("participants", "estimate", "lower", "upper", "suppressed")


def _line(lines: list[dict[str, Any]], level: str, service: str, provider: str | None) -> dict[str, Any] | None:
    return next(
        (x for x in lines if x["level"] == level and x["service_code"] == service and x["provider_id"] == provider),
        None,
    )


def provider_results(tables: Mapping[str, pd.DataFrame], provider_id: str, t: int | None = None) -> list[dict[str, Any]]:
    """One row per service the provider has estimates for: the provider's and the area's
    participants, effect and interval (None where withheld), ordered by service code."""
    lines = effect_lines(sdc.release_estimates(estimate_records(tables), t=t))
    services = sorted({x["service_code"] for x in lines if x["level"] == "service_provider" and x["provider_id"] == provider_id})
    rows = []
    for service in services:
        own = _line(lines, "service_provider", service, provider_id) or {}
        area = _line(lines, "service", service, None) or {}
        rows.append(
            {"service_code": service}
            | {f"provider_{k}": own.get(k) for k in FIELDS}
            | {f"area_{k}": area.get(k) for k in FIELDS}
            | {"method": own.get("method"), "outcome": own.get("outcome")}
        )
    return rows


def providers_in_run(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """The providers the run has estimates for (the analyst picks one)."""
    if "impact_effects" not in tables:
        return []
    frame = tables["impact_effects"]
    return sorted(str(p) for p in frame["provider_id"].dropna().unique())


def provider_page(ctx: Any) -> dict[str, Any]:
    """The provider's results beside the area's (an analyst picks the provider with `?provider=`)."""
    from polku.web import results
    from polku.web.access import Reads
    from polku.web.area import exact_asked, no_run

    ctx.require(Reads.PROVIDER)
    exact = exact_asked(ctx)
    run = results.latest_run(ctx.state.store_path)
    if run is None:
        return {"provider_id": ctx.user.provider_id, "providers": [], "rows": [], "exact": exact} | no_run(ctx)
    choices = providers_in_run(run.tables)
    provider_id = ctx.user.provider_id if ctx.user.role == "provider" else ctx.request.query_params.get("provider")
    if provider_id is None:
        provider_id = choices[0] if choices else ""
    rows = provider_results(run.tables, provider_id, 1 if exact else None)
    if exact:
        ctx.audited = {"access": "aggregates", "exact": True, "run": run.run_id, "page": "provider"}
    mine = choices if ctx.user.role == "analyst" else []
    facts = {"run": results.run_facts(run), "threshold": sdc.threshold()}
    return {"provider_id": provider_id, "providers": mine, "rows": rows, "exact": exact} | facts
