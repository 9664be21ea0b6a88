"""The tests behind the equality flags: observed against expected, and Holm's adjustment.

Why these: every comparison here is "this group against everyone else", either inside
strata (the client group, so that a difference in need does not look like unequal
treatment) or against a model's prediction. Both reduce to observed O, expected E and a
variance V under "no difference", and z = (O - E) / sqrt(V):

  - Mantel-Haenszel (Mantel and Haenszel 1959, J Natl Cancer Inst 22:719-748): in each
    stratum k with N_k people, T_k with the outcome and n_k of them in the group,
        E = sum_k n_k T_k / N_k,
        V = sum_k n_k (N_k - n_k) T_k (N_k - T_k) / (N_k^2 (N_k - 1))
    (hypergeometric), without continuity correction;
  - calibration against predicted chances p_i (Poisson-binomial): E = sum p_i,
    V = sum p_i (1 - p_i);
  - the difference of two independent estimates: z = (a - b) / sqrt(se_a^2 + se_b^2).

Two-sided p-values from the normal distribution; Holm's step-down adjustment (Holm 1979,
Scand J Statist 6:65-70) over all tests of a run controls the family-wise error rate at
5 %: a difference is flagged only where its adjusted p is below 0.05.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

ALPHA = 0.05


@dataclass(frozen=True)
class Test:
    observed: float
    expected: float
    variance: float

    @property
    def z(self) -> float:
        return (self.observed - self.expected) / math.sqrt(self.variance) if self.variance > 0 else float("nan")

    @property
    def p(self) -> float:
        return two_sided(self.z)


def two_sided(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z (nan stays nan)."""
    return float("nan") if z != z else math.erfc(abs(z) / math.sqrt(2.0))


def mantel_haenszel(outcome: np.ndarray, in_group: np.ndarray, strata: np.ndarray) -> Test:
    """O, E and V of the group's count with the outcome, stratified (module docstring)."""
    frame = pd.DataFrame({"y": outcome.astype(float), "g": in_group.astype(float), "s": strata})
    by = frame.groupby("s", sort=False)
    N, T = by.size().astype(float), by["y"].sum()
    n, o = by["g"].sum(), frame[frame["g"] > 0].groupby("s", sort=False)["y"].sum().reindex(N.index, fill_value=0.0)
    usable = N > 1
    N, T, n, o = N[usable], T[usable], n[usable], o[usable]
    expected = float((n * T / N).sum())
    variance = float((n * (N - n) * T * (N - T) / (N**2 * (N - 1))).sum())
    return Test(float(o.sum()), expected, variance)


def calibration(outcome: np.ndarray, p: np.ndarray, variance: np.ndarray | None = None) -> Test:
    """O = sum y, E = sum p, V = sum p (1 - p) (or the given terms, for weighted rows)."""
    terms = p * (1 - p) if variance is None else variance
    return Test(float(outcome.sum()), float(p.sum()), float(terms.sum()))


def difference(a: float, se_a: float, b: float, se_b: float) -> float:
    """Two-sided p of a - b for independent estimates."""
    scale = math.sqrt(se_a**2 + se_b**2)
    return two_sided((a - b) / scale) if scale > 0 else float("nan")


def holm(p: np.ndarray | list[float]) -> np.ndarray:
    """Holm-adjusted p-values (nan entries are left out and stay nan)."""
    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    known = np.flatnonzero(~np.isnan(p))
    order = known[np.argsort(p[known], kind="stable")]
    m, running = len(order), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out
