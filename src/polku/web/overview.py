"""The area overview: aggregates of the whole area, through the disclosure gate.

The same queries as the report (`polku.reports.queries`) and the same gate (`polku.sdc`):
counts of people from 1 to T-1 are hidden, with their complements, and shares rest on at
least T people. Only an analyst may ask for exact figures, and each such view is audited.
"""

from __future__ import annotations

from typing import Any

from polku import sdc
from polku.reports import queries
from polku.store import Store


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


def overview(store: Store, *, exact: bool = False) -> dict[str, Any]:
    """Clients by municipality, registration spells by outcome and the long-term share, clients per service."""
    long_term, spells = queries.long_term_at_registration(store)
    outcomes = queries.registration_outcomes(store)
    costs = queries.service_costs(store)
    per_service = {str(code): int(n) for code, n in zip(costs["service"], costs["clients"])}
    served = per_service if exact else sdc.separate_counts(per_service)[0]
    return {
        "exact": exact,
        "threshold": sdc.threshold(),
        "clients_by_municipality": _distribution(queries.person_counts(store, "municipality_code"), exact),
        "spells_by_outcome": _distribution(outcomes, exact),
        "long_term_share": _share(long_term, spells, exact),
        "open_share": _share(outcomes.get("_open", 0), spells, exact),
        "clients_by_service": served,
    }
