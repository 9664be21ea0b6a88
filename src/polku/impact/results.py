"""What an impact estimate reports: frozen values that a report, a JSON line or a test reads.

Every estimate carries its interval, its sample sizes, and the diagnostics that tell a reader
whether to believe it (balance, overlap, trimming). An estimate for a cohort below the
minimum size is still a result, with `estimate=None` and the reason in `note`, so that a
table by group shows the gap instead of silently leaving a row out.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

Z95 = 1.959963984540054
"""The standard normal's 97.5 % quantile: every 95 % interval of Polku is estimate +- Z95 x SE."""


@dataclass(frozen=True)
class BalanceRow:
    """One covariate's standardised mean difference (SMD) before and after adjustment.

    SMD = (mean_treated - mean_control) / sqrt((var_treated + var_control) / 2), with the
    unweighted variances in the denominator both times (Austin 2009), so that before and
    after are on the same scale. |SMD| < 0.1 is the usual threshold for balance.
    """

    covariate: str
    mean_treated: float
    mean_control: float
    mean_control_adjusted: float
    smd_before: float
    smd_after: float


@dataclass(frozen=True)
class Overlap:
    """How far treated and comparison units share propensity scores.

    `histogram_*` are counts in `bins` (equal-width propensity bins between 0 and 1), the
    data of an overlap plot. `ess_control` is Kish's effective sample size of the weighted
    comparison group, (sum w)^2 / sum w^2: when it is a small share of `n_control`, a few
    comparison units carry the estimate (a number of people, for disclosure control).
    `top1_weight_share` and `top5_weight_share` are the shares of the comparison group's
    weight carried by its 1 % and 5 % most heavily weighted rows (at least one row each).
    `outside_support` is the share of participants whose propensity score lies outside
    the comparison group's range [min, max]: for them no comparison person is alike, and
    the estimate extrapolates. `warning` says in plain words when either is poor and what
    the estimate then rests on ('' when neither is).
    """

    propensity_min_treated: float
    propensity_max_treated: float
    propensity_min_control: float
    propensity_max_control: float
    bins: tuple[float, ...]
    histogram_treated: tuple[int, ...]
    histogram_control: tuple[int, ...]
    ess_control: float | None = None
    top1_weight_share: float | None = None
    top5_weight_share: float | None = None
    outside_support: float | None = None
    warning: str = ""


@dataclass(frozen=True)
class EffectEstimate:
    """An average effect with its interval and diagnostics.

    `estimate` is the average treatment effect on the treated (`estimand='att'`) or in the
    whole population (`'ate'`), in the outcome's units (a probability difference for a
    binary outcome). `ci_low`/`ci_high` is the 95 % interval from the influence function
    (or the matching variance); `bootstrap_ci` the percentile interval when bootstrap
    replications were asked for.
    """

    method: str
    estimand: str
    estimate: float | None
    std_error: float | None
    ci_low: float | None
    ci_high: float | None
    n_treated: int
    n_control: int
    n_trimmed: int = 0
    outcome_mean_treated: float | None = None
    outcome_mean_control: float | None = None
    naive_difference: float | None = None
    balance: tuple[BalanceRow, ...] = ()
    overlap: Overlap | None = None
    bootstrap_ci: tuple[float, float] | None = None
    bootstrap_replications: int = 0
    observed: float | None = None
    expected: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def suppressed(self) -> bool:
        """True when no estimate is shown (too few participants, or no usable comparison)."""
        return self.estimate is None

    @property
    def max_smd_before(self) -> float | None:
        return max((abs(r.smd_before) for r in self.balance), default=None)

    @property
    def max_smd_after(self) -> float | None:
        return max((abs(r.smd_after) for r in self.balance), default=None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values; NaN and infinity become None."""
        data = asdict(self)
        data["max_smd_before"] = self.max_smd_before
        data["max_smd_after"] = self.max_smd_after
        data["suppressed"] = self.suppressed
        return _finite(data)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


@dataclass(frozen=True)
class Refutation:
    """One check: the new estimate beside the original (the estimate checked), and whether it passed."""

    check: str
    original: float | None
    new: float | None
    ci_low: float | None
    ci_high: float | None
    passed: bool
    note: str


WORK, OTHER_EXIT, CENSORED = 1, 2, 0


@dataclass(frozen=True)
class Curve:
    """A step curve over days with its pointwise 95 % band."""

    label: str
    days: np.ndarray
    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: float

    def at(self, day: float) -> float:
        """The curve's value on `day` (the last step at or before it)."""
        index = int(np.searchsorted(self.days, day, side="right")) - 1
        return float(self.value[max(index, 0)])
