"""Client groups by employment potential: each client's chance of work without a service.

Seed 000 groups clients by how likely they are to find work on their own. Polku learns
that chance from the comparison people (those not starting a service on the date): a
logistic model of employment within 12 months on the covariates at the start or
reference date, applied to everybody. Thresholds (defaults): high at 0.55 or more, low
below 0.30, medium between; the synthetic area's generator uses the same cut points, so
its true effects by group can be compared.
"""

from __future__ import annotations

import numpy as np

from polku.baseline.model import make_model, predict
from polku.impact.propensity import fit_weighted

HIGH = 0.55
LOW = 0.30
GROUPS = ("high", "medium", "low")


def potential_groups(
    X: np.ndarray, treated: np.ndarray, employed: np.ndarray, weights: np.ndarray | None = None, *, high: float = HIGH, low: float = LOW
) -> tuple[np.ndarray, np.ndarray]:
    """(chance of work without the service, group label) for every row.

    Fitted on the comparison rows (weights: e.g. inverse probability of censoring; rows with
    weight 0 or a missing outcome are left out of the fit but still get a group)."""
    use = ~treated & np.isfinite(employed)
    if weights is not None:
        use &= weights > 0
    if len(np.unique(employed[use])) < 2:  # nothing to learn: everybody gets the common rate
        chance = np.full(len(X), float(employed[use].mean()) if use.any() else np.nan)
    else:
        model = fit_weighted(make_model("logistic", True, 0), X[use], employed[use], None if weights is None else weights[use])
        chance = predict(model, X, True)
    labels = np.where(chance >= high, "high", np.where(chance < low, "low", "medium"))
    return chance, labels
