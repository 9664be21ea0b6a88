"""Time to employment: Kaplan-Meier curves and cumulative incidence against competing exits.

A window outcome ("employed within 12 months") hides when work came, and it needs the
whole window to have passed. Curves use every day of follow-up, with right-censoring at
the store's last date (and, for comparison people, at a later service start, the same
artificial censoring as `polku.cohort.censoring`); `polku.pipeline.store_views.time_to_work`
turns the cohort's rows into these events.

Events, counted from the start (participants) or reference date (comparison people):
  1 = first day of open-market work, 2 = exit from the register to education or out of the
  labour force before any work (a competing event), 0 = censored (data end, `horizon_days`,
  or a comparison person's later service start).

`kaplan_meier` treats competing exits as censoring (the curve is "still without work, had
nobody left for other reasons"); `cumulative_incidence` (Aalen-Johansen) gives the share
in work by each day with competing exits as their own outcome, which is the number to
report. Curves can be weighted: comparison people with their ATT weights e/(1 - e) give
the curve the participants would have had without the service (under the same
assumptions as the weighting estimators).
"""

from __future__ import annotations

import numpy as np
from lifelines import AalenJohansenFitter, KaplanMeierFitter

from polku.impact.results import CENSORED, OTHER_EXIT, WORK, Curve

__all__ = ["CENSORED", "OTHER_EXIT", "WORK", "Curve", "cumulative_incidence", "kaplan_meier", "untie"]


def kaplan_meier(duration: np.ndarray, event: np.ndarray, weights: np.ndarray | None = None, label: str = "") -> Curve:
    """Share still without work by day (competing exits censored), with its 95 % band."""
    fitter = KaplanMeierFitter(alpha=0.05)
    fitter.fit(duration, event_observed=(event == WORK), weights=weights, label=label or "km")
    table = fitter.survival_function_.join(fitter.confidence_interval_)
    values = table.to_numpy()
    n = float(np.sum(weights)) if weights is not None else float(len(duration))
    return Curve(label, table.index.to_numpy(dtype=float), values[:, 0], values[:, 1], values[:, 2], n)


def untie(duration: np.ndarray, event: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Events on the same day spread by `step` days in row order (deterministic).

    Days are discrete, so many events share one; lifelines' Aalen-Johansen needs distinct
    event times and would otherwise jitter them at random. Spreading by a millionth of a day
    changes no value read at whole days."""
    d = np.asarray(duration, dtype=float).copy()
    rows = np.flatnonzero(event != CENSORED)
    order = rows[np.lexsort((rows, d[rows]))]
    values = d[order]
    run_start = np.r_[0, np.flatnonzero(np.diff(values) != 0) + 1]
    rank = np.arange(len(order)) - np.repeat(run_start, np.diff(np.r_[run_start, len(order)]))
    d[order] = values + rank * step
    return d


def cumulative_incidence(duration: np.ndarray, event: np.ndarray, weights: np.ndarray | None = None, label: str = "") -> Curve:
    """Share in work by each day, with competing exits as their own outcome (Aalen-Johansen)."""
    fitter = AalenJohansenFitter(alpha=0.05, seed=0)
    fitter.fit(untie(duration, event), event, event_of_interest=WORK, weights=weights, label=label or "cif")
    table = fitter.cumulative_density_.join(fitter.confidence_interval_)
    values = table.to_numpy()
    n = float(np.sum(weights)) if weights is not None else float(len(duration))
    return Curve(label, table.index.to_numpy(dtype=float), values[:, 0], values[:, 1], values[:, 2], n)
