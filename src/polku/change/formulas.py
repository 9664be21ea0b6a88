"""The two published formulas of change work: the reliable change index and the GAS T-score.

Why pure functions of numbers: the store's vectorised queries (`polku.change.measures`)
write the same arithmetic as SQL, and these functions are the reference the tests hold
both to, with the published worked examples (tests/change/test_formulas.py).

- Jacobson N S, Truax P (1991). Clinical significance: a statistical approach to defining
  meaningful change in psychotherapy research. J Consult Clin Psychol 59(1):12-19.
  RCI = (x2 - x1) / S_diff, S_diff = sqrt(2 * SE^2), SE = SD * sqrt(1 - r).
- Kiresuk T J, Sherman R E (1968). Goal attainment scaling: a general method for evaluating
  comprehensive community mental health programs. Community Ment Health J 4(6):443-453;
  Turner-Stokes L (2009). Goal attainment scaling (GAS) in rehabilitation: a practical
  guide. Clin Rehabil 23(4):362-370.
  T = 50 + 10 * sum(w x) / sqrt((1 - rho) * sum(w^2) + rho * (sum w)^2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

RELIABLE = 1.96
"""|RCI| above this is reliable change (two-sided 5 %, Jacobson and Truax 1991)."""

GAS_LEVELS = (-2, -1, 0, 1, 2)
"""Goal attainment levels: 0 is the expected outcome, -2 much less, +2 much more."""

GAS_RHO = 0.3
"""The assumed correlation between goals' scores (Kiresuk and Sherman 1968)."""


def s_diff(sd: float, reliability: float) -> float:
    """Standard error of the difference of two scores: sqrt(2) * SD * sqrt(1 - r)."""
    if not (math.isfinite(sd) and sd > 0):
        raise ValueError(f"the standard deviation must be a positive number, not {sd}")
    if not (math.isfinite(reliability) and 0 <= reliability < 1):
        raise ValueError(f"the reliability must be at least 0 and below 1, not {reliability}")
    return math.sqrt(2.0) * sd * math.sqrt(1.0 - reliability)


def reliable_change(before: float, after: float, sd: float, reliability: float) -> float:
    """Jacobson-Truax reliable change index (x2 - x1) / S_diff.

    Why: a difference of two noisy scores is only evidence of change when it is large
    against the measurement error of a difference; |RCI| > 1.96 is reliable change.
    `sd` is the reference population's (or the pre-treatment sample's) SD, `reliability`
    the test-retest correlation or Cronbach's alpha."""
    return (after - before) / s_diff(sd, reliability)


def change_class(rci: float, higher_is_better: bool = True) -> str:
    """'improved', 'unchanged' or 'worsened' at |RCI| > 1.96, in the item's direction."""
    directed = rci if higher_is_better else -rci
    return "improved" if directed > RELIABLE else "worsened" if directed < -RELIABLE else "unchanged"


def clinical_cutoff(mean_dysfunctional: float, sd_dysfunctional: float, mean_functional: float, sd_functional: float) -> float:
    """Jacobson-Truax cutoff c = (SD0 * M1 + SD1 * M0) / (SD0 + SD1): the point between the
    dysfunctional (0) and the functional (1) population weighted by their spreads. A change
    is clinically significant when it is reliable and crosses c."""
    return (sd_dysfunctional * mean_functional + sd_functional * mean_dysfunctional) / (sd_dysfunctional + sd_functional)


def gas_t_score(levels: Sequence[float], weights: Sequence[float] | None = None, rho: float = GAS_RHO) -> float:
    """Kiresuk-Sherman goal attainment T-score of one client's goals.

    Why T: it puts clients with different numbers and weights of goals on one scale with
    mean 50 and SD 10 when goals are met as expected (all levels 0 give exactly 50).
    Levels are -2..+2; weights (importance x difficulty, Turner-Stokes) default to 1."""
    x = [float(v) for v in levels]
    if not x:
        raise ValueError("a GAS T-score needs at least one goal")
    if any(v not in GAS_LEVELS for v in x):
        raise ValueError(f"GAS levels are -2, -1, 0, 1 or 2, not {sorted(set(x) - set(GAS_LEVELS))}")
    w = [1.0] * len(x) if weights is None else [float(v) for v in weights]
    if len(w) != len(x):
        raise ValueError(f"{len(x)} levels but {len(w)} weights")
    if not all(math.isfinite(v) and v > 0 for v in w):
        raise ValueError("GAS weights must be positive numbers")
    if not 0 <= rho < 1:
        raise ValueError(f"rho must be at least 0 and below 1, not {rho}")
    weighted = sum(wi * xi for wi, xi in zip(w, x))
    spread = math.sqrt((1 - rho) * sum(wi * wi for wi in w) + rho * sum(w) ** 2)
    return 50.0 + 10.0 * weighted / spread


def gas_t_scores(group: np.ndarray, levels: np.ndarray, weights: np.ndarray, groups: int, rho: float = GAS_RHO) -> np.ndarray:
    """`gas_t_score` of many clients at once: goal i belongs to client `group[i]` (0 ..
    `groups` - 1); NaN for a client with no goal. Why: the generator's ground truth and
    the goal-attainment effects score tens of thousands of clients' goals."""
    w = np.asarray(weights, dtype=float)
    x = np.asarray(levels, dtype=float)
    sum_wx = np.bincount(group, weights=w * x, minlength=groups)
    sum_w = np.bincount(group, weights=w, minlength=groups)
    sum_w2 = np.bincount(group, weights=w * w, minlength=groups)
    spread = np.sqrt((1 - rho) * sum_w2 + rho * sum_w**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sum_w > 0, 50.0 + 10.0 * sum_wx / spread, np.nan)
