"""The area overview (`/overview`, `/api/overview`): area aggregates from the latest analysis run.

The run's own tables (`clients_*`, `services_costs`, computed by the report's sections in
`polku analyse`) through the same gate as the report (`polku.sdc`): counts of people from 1
to T-1 are hidden, with their complements, and shares rest on at least T people. Only an
analyst may ask for exact figures, and each such view is audited. Nothing here reads the
store, so the overview answers while an import holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from polku import sdc
from polku.reports import header
from polku.reports.frames import counts_of, table


def _distribution(counts: dict[str, int], exact: bool) -> dict[str, Any]:
    if exact:
        return {"rows": dict(counts), "total": sum(counts.values())}
    protected = sdc.distribution(counts)
    return {"rows": protected.column(), "total": protected.total}


def _share(numerator: int, denominator: int, exact: bool) -> float | None:
    if exact:
        return None if denominator == 0 else round(100.0 * numerator / denominator, 1)
    value = sdc.share(numerator, denominator).value
    return None if value is None else round(value, 1)


def overview(results: Mapping[str, pd.DataFrame], *, exact: bool = False) -> dict[str, Any]:
    """Clients by municipality, registration spells by outcome and the long-term share, clients
    per service: from a run's tables (`polku.runs.Run.tables`)."""
    registrations = counts_of(table(results, "clients_registrations"))
    outcomes = counts_of(table(results, "clients_registration_outcomes"))
    costs = table(results, "services_costs")
    per_service = {str(code): int(n) for code, n in zip(costs["service"], costs["clients"])}
    spells = registrations.get("spells", 0)
    return {
        "exact": exact,
        "threshold": sdc.threshold(),
        "clients_by_municipality": _distribution(counts_of(table(results, "clients_municipality_code")), exact),
        "spells_by_outcome": _distribution(outcomes, exact),
        "long_term_share": _share(registrations.get("long_term", 0), spells, exact),
        "open_share": _share(outcomes.get("_open", 0), spells, exact),
        "clients_by_service": per_service if exact else sdc.separate_counts(per_service)[0],
        "as_of": header.extraction_date(results),
    }
