"""Funnel plots: control limits around a target, by volume, with an overdispersion adjustment.

Pure maths, no store and no report: the provider comparison (`polku.providers.compare`)
and the national comparison of areas use the same functions. Two kinds of indicator:

- `proportion`: y = O / n, O events among n units (the naive employment rate of a
  provider's referred clients). Target p0, volume n.
- `ratio`: y = O / E, O observed events against E expected ones (risk-adjusted: E is the
  sum of each client's chance of work without the service from the seed model).
  Target 1, volume E.

Limits at two-sided level 1 - a (95 % and 99.8 %, Spiegelhalter 2005, Stat Med
24:1185-1202; 99.8 % is about three standard errors):

- `normal`: p0 +/- z sqrt(p0 (1 - p0) / n) and 1 +/- z / sqrt(E), z the standard normal
  quantile 1 - a/2. For a proportion this is also the Public Health England funnel method
  (PHEindicatormethods `phe_funnels`, which the tests reproduce).
- `exact` (default): the continuous form of the exact binomial and Poisson limits, the
  value of O at which the exact tail probability equals a/2: for a proportion the
  regularised incomplete beta I_p0(O, n - O + 1) = a/2 (lower) and I_p0(O + 1, n - O) =
  1 - a/2 (upper), for a ratio the regularised incomplete gamma P(O, E) = a/2 and
  P(O + 1, E) = 1 - a/2. At a whole O these are the exact tails (Clopper-Pearson and
  Garwood read the other way round: the volume E at which an observed O meets its upper
  limit is the exact lower confidence bound of O, which is how PHE's ratio funnels are
  tabulated and what the tests check).

Overdispersion (Spiegelhalter 2005, section 6): units differ by more than chance when
indicators are compared over many of them. One phi and one tau^2 are estimated from all the
units compared at once, which may fall into several cells g (the services of an area), each
with its own target theta_g estimated from its units (their inverse-variance weighted mean).
With z_i = (y_i - theta_g) / s_i, s_i the null standard error at unit i's volume, the
z-scores winsorised at their 10th and 90th percentiles over all units, Q = sum z_i^2 and
f = I - G degrees of freedom (I units in G cells; cells of one unit carry no information
on the spread between units and are left out):

- multiplicative: phi = Q / f, limits theta +/- z sqrt(phi) s(n) when Q > f (phi 1 otherwise);
- additive (DerSimonian-Laird random effect): tau^2 = (Q - f) / sum_g (W_g - sum_{i in g} w_i^2 / W_g),
  w_i = theta_g^2 / s_i^2 and W_g the sum of cell g's w_i, tau^2 = 0 when Q <= f, and limits
  theta +/- z sqrt(s(n)^2 + theta^2 tau^2).

tau^2 is the variance of the units' true values relative to their cell's target (y / theta),
so that one tau^2 serves cells whose targets differ; to first order it is the between-unit
variance of log y, the scale of NHS Digital's SHMI. With one cell this is Spiegelhalter's
estimator with I - 1 degrees of freedom. When either adds spread, the limits are normal ones
with the larger variance (the exact limits describe chance alone), but never inside the
limits of chance alone: at a small volume the normal limit can fall inside the skewed exact
one, and an allowance for more spread must not narrow the funnel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from polku.errors import UsageError

INDICATORS = ("proportion", "ratio")
METHODS = ("exact", "normal")
DISPERSIONS = ("none", "multiplicative", "additive")
LEVELS = (0.95, 0.998)
WINSOR = 0.10


@dataclass(frozen=True)
class Dispersion:
    """The overdispersion found among the units: phi (multiplicative) and tau^2 (additive,
    relative to the target), estimated from `units` units."""

    kind: str
    phi: float
    tau2: float
    units: int

    @property
    def adds_spread(self) -> bool:
        return (self.kind == "multiplicative" and self.phi > 1) or (self.kind == "additive" and self.tau2 > 0)


NO_DISPERSION = Dispersion("none", 1.0, 0.0, 0)


def _check(indicator: str, method: str) -> None:
    if indicator not in INDICATORS:
        raise UsageError(f"unknown funnel indicator '{indicator}'", fix=f"use one of: {', '.join(INDICATORS)}.")
    if method not in METHODS:
        raise UsageError(f"unknown funnel method '{method}'", fix=f"use one of: {', '.join(METHODS)}.")


def null_se(indicator: str, target: float | np.ndarray, volume: np.ndarray) -> np.ndarray:
    """The indicator's standard error at `volume` if every unit were on target."""
    volume = np.asarray(volume, dtype=float)
    if indicator == "proportion":
        return np.sqrt(target * (1 - target) / volume)
    return np.sqrt(target / volume)


def _z(level: float) -> float:
    return float(stats.norm.ppf(1 - (1 - level) / 2))


def _tail(indicator: str, target: float, volume: float, o: float, upper: bool) -> float:
    """Continuous exact tails: P(X >= o) for the upper limit, 1 - P(X <= o) for the lower
    (both fall as o grows), X binomial(volume, target) or Poisson(target x volume)."""
    k = o if upper else o + 1
    if indicator == "proportion":
        return float(special.betainc(k, volume - k + 1, target))
    return float(special.gammainc(k, target * volume))


def _tail_count(indicator: str, target: float, volume: float, a: float, upper: bool) -> float:
    """The count O at the limit: P(X >= O) = a (upper) or P(X <= O) = a (lower); 0 when even
    no event is not unusually few, the volume when even all are not unusually many."""
    goal = a if upper else 1 - a
    low = 1e-9 if upper else 0.0
    if indicator == "proportion":
        high = volume if upper else volume - 1e-9
    else:
        mean = target * volume
        high = mean + 60 * np.sqrt(mean) + 60
    f_low, f_high = _tail(indicator, target, volume, low, upper) - goal, _tail(indicator, target, volume, high, upper) - goal
    if f_low <= 0:
        return low if not upper else 0.0
    if f_high >= 0:
        return high
    return float(optimize.brentq(lambda o: _tail(indicator, target, volume, o, upper) - goal, low, high, xtol=1e-12))


def _exact(indicator: str, target: float, volume: float, level: float) -> tuple[float, float]:
    a = (1 - level) / 2
    lower = _tail_count(indicator, target, volume, a, upper=False) if target > 0 else 0.0
    upper = _tail_count(indicator, target, volume, a, upper=True)
    return lower / volume, upper / volume


def limits(
    indicator: str,
    target: float,
    volume: Sequence[float] | np.ndarray,
    level: float = 0.95,
    *,
    method: str = "exact",
    dispersion: Dispersion = NO_DISPERSION,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits of the indicator at each volume (n for a proportion,
    E for a ratio), two-sided at `level`; proportions are kept within 0..1, ratios above 0."""
    _check(indicator, method)
    volume = np.asarray(volume, dtype=float)
    z = _z(level)
    s2 = null_se(indicator, target, volume) ** 2
    if method == "normal":
        lower, upper = target - z * np.sqrt(s2), target + z * np.sqrt(s2)
    else:
        pairs = [_exact(indicator, target, float(v), level) for v in volume]
        lower, upper = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    if dispersion.adds_spread:  # never inside chance alone's limits
        between = dispersion.tau2 * target**2  # tau^2 is relative to the target
        spread = np.sqrt(dispersion.phi * s2) if dispersion.kind == "multiplicative" else np.sqrt(s2 + between)
        lower, upper = np.minimum(lower, target - z * spread), np.maximum(upper, target + z * spread)
    top = 1.0 if indicator == "proportion" else np.inf
    return np.clip(lower, 0.0, top), np.clip(upper, 0.0, top)


def estimate_dispersion(
    indicator: str,
    target: float | Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    volume: Sequence[float] | np.ndarray,
    kind: str,
    cells: Sequence[object] | np.ndarray | None = None,
) -> Dispersion:
    """One phi and tau^2 from all the units (see the module docstring). `target` is one value
    or each unit's cell target, `cells` each unit's cell (one cell when None)."""
    if kind not in DISPERSIONS:
        raise UsageError(f"unknown overdispersion adjustment '{kind}'", fix=f"use one of: {', '.join(DISPERSIONS)}.")
    y, v = np.asarray(values, dtype=float), np.asarray(volume, dtype=float)
    theta = np.broadcast_to(np.asarray(target, dtype=float), y.shape)
    cell = pd.factorize(pd.Series(np.zeros(len(y)) if cells is None else list(cells)))[0]
    shared = np.bincount(cell)[cell] > 1  # a cell of one unit is its own target: no information
    y, v, theta, cell = y[shared], v[shared], theta[shared], pd.factorize(cell[shared])[0]
    units, free = len(y), len(y) - len(np.unique(cell))
    if kind == "none" or free < 1:
        return Dispersion(kind, 1.0, 0.0, units)
    s = null_se(indicator, theta, v)
    z = np.clip((y - theta) / s, *np.quantile((y - theta) / s, [WINSOR, 1 - WINSOR]))
    q = float(np.sum(z**2))
    if q <= free:
        return Dispersion(kind, 1.0, 0.0, units)
    w = (theta / s) ** 2  # weights on the relative scale y / theta
    total = np.bincount(cell, weights=w)
    trace = float(np.sum(total - np.bincount(cell, weights=w**2) / total))
    return Dispersion(kind, q / free, (q - free) / trace, units)


@dataclass(frozen=True)
class Position:
    """One unit on the funnel: its value, the limits at its volume and its rating."""

    value: float
    lower95: float
    upper95: float
    lower998: float
    upper998: float
    rating: str  # high | moderate | low


def rate(value: float, lower: float, upper: float) -> str:
    """High above the upper limit, low below the lower one, moderate inside (or on) them."""
    if value > upper:
        return "high"
    if value < lower:
        return "low"
    return "moderate"


def place(
    indicator: str,
    target: float,
    values: Sequence[float] | np.ndarray,
    volume: Sequence[float] | np.ndarray,
    *,
    method: str = "exact",
    dispersion: Dispersion = NO_DISPERSION,
    rate_at: float = 0.998,
) -> list[Position]:
    """Each unit's value with its 95 % and 99.8 % limits and its rating at `rate_at`."""
    if rate_at not in LEVELS:
        raise UsageError(f"ratings are made at one of the funnel's levels, not {rate_at}", fix="use 0.95 or 0.998.")
    y = np.asarray(values, dtype=float)
    l95, u95 = limits(indicator, target, volume, 0.95, method=method, dispersion=dispersion)
    l998, u998 = limits(indicator, target, volume, 0.998, method=method, dispersion=dispersion)
    rows = []
    for i, value in enumerate(y):
        lower, upper = (l95[i], u95[i]) if rate_at == 0.95 else (l998[i], u998[i])
        bounds = (float(l95[i]), float(u95[i]), float(l998[i]), float(u998[i]))
        rows.append(Position(float(value), *bounds, rate(value, lower, upper)))
    return rows
