"""Client groups by employment potential: each client's chance of work without a service.

Seed 000 groups clients by how likely they are to find work on their own. Polku learns
that chance from the comparison people (those not starting a service on the date): a
logistic model of employment within 12 months on the covariates at the start or
reference date, applied to everybody. Thresholds (defaults): high at 0.55 or more, low
below 0.30, medium between; the synthetic area's generator uses the same cut points, so
its true effects by group can be compared.

A comparison person's own outcome must not decide their group. A model fitted on the
comparison people and applied back to them puts those who found work a little higher,
so "high" collects comparison people with lucky outcomes and "low" unlucky ones, and the
effect is understated in "high" and overstated in "low" (by how much, with each model:
docs/methods.md, section 7). So each comparison row's chance comes from a model fitted on
the other folds (cross-fitting, `n_folds`). With `clusters` (person ids) the folds keep each person's
rows together and every row, a participant's too, gets the model of the other folds:
a participant drawn as a comparison person on earlier dates must not have those rows'
outcomes, which are nearly their own, in their model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polku.groups.bands import GROUPS, HIGH, LOW
from polku.impact.expected_model import make_model, predict
from polku.impact.propensity import cross_fit_outcome, fit_weighted, folds

__all__ = ["GROUPS", "HIGH", "LOW", "potential_groups"]


def potential_groups(
    X: np.ndarray,
    treated: np.ndarray,
    employed: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    high: float = HIGH,
    low: float = LOW,
    n_folds: int = 5,
    seed: int = 0,
    clusters: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(chance of work without the service, group label) for every row.

    Fitted on the comparison rows (weights: e.g. inverse probability of censoring; rows with
    weight 0 or a missing outcome are left out of the fit but still get a group); each
    comparison row's chance is out-of-fold, and with `clusters` every row's, by person (see
    the module docstring)."""
    use = ~treated & np.isfinite(employed)
    if weights is not None:
        use &= weights > 0
    if len(np.unique(employed[use])) < 2:  # nothing to learn: everybody gets the common rate
        chance = np.full(len(X), float(employed[use].mean()) if use.any() else np.nan)
    else:
        splits = folds(treated, n_folds, seed, clusters)
        chance = cross_fit_outcome(X, employed, use, splits, True, make_model("logistic", True, 0), weights)
        if clusters is None:  # rows taken as independent: participants get the model of all comparison rows
            chance[treated] = predict(_fit(X, employed, weights, use), X[treated], True)
    labels = np.where(chance >= high, "high", np.where(chance < low, "low", "medium"))
    return chance, labels


def _fit(X: np.ndarray, employed: np.ndarray, weights: np.ndarray | None, rows: np.ndarray) -> Any:
    """The logistic potential model fitted on `rows` (a boolean mask)."""
    return fit_weighted(make_model("logistic", True, 0), X[rows], employed[rows], None if weights is None else weights[rows])
