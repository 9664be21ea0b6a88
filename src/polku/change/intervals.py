"""The interval of an effect on change when the measurement weights are estimated: a
bootstrap over persons that refits every model (docs/methods.md section 11).

The influence-function interval of `polku.change.effects` treats three fitted models as
known: the chance of being measured (the weights), the propensity score and the outcome
model. The bootstrap here draws persons with replacement from *all* the rows due for
follow-up, measured or not (each person with all their rows: one person can be a
comparison person on several days; Cameron, Gelbach and Miller 2008), and on each draw
refits the measurement model, then the estimator (its cross-fitted propensity and outcome
models, its trimming), so the interval carries the error of all three. The interval is
the 2.5 and 97.5 percentiles of the replicates (Efron and Tibshirani 1993, ch. 13).
`polku.change.effects.interval_figures` uses it only where the weighted comparison group
is worth fewer than 10 people: above that the influence-function interval holds the truth
and this bootstrap is about twice too wide (a draw holds about 63 % of the distinct
persons, so it thins the few comparison people who resemble the participants).

Why not the stacked estimating-equations sandwich (Lunceford and Davidian 2004;
Tsiatis 2006, ch. 9), which would cost nothing: with a logistic measurement model fitted
by maximum likelihood and weights 1/pi, adding its score to the influence function
*subtracts* the projection of the influence function on that score, so the corrected
variance is never above the one that treats the weights as known (estimated weights are
more efficient than known ones; Robins, Rotnitzky and Zhao 1994; Hirano, Imbens and Ridder
2003); the AIPW score is orthogonal to the propensity and outcome models, so their
estimation adds nothing at first order either. It would narrow intervals that already
cover too little. The under-coverage is a finite-sample failure: where the weighted
comparison group is worth a few people, the influence function's SE is itself estimated
from those few.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from polku.impact.design import Design

BOOTSTRAP = 200
"""Replicates of the bootstrap interval, bounded by cost (about 12 s per row on the shared
machine). The percentiles carry Monte Carlo noise: over three bootstrap seeds on two rows
of effective comparison size 3, the endpoints moved by up to 0.25 points, 10-18 % of the
interval's width (docs/methods.md section 11)."""
MIN_REPLICATES = 0.9
"""Below this share of replicates with an estimate (a draw can leave too few measured
people) no bootstrap interval is given: the percentiles of the rest would be too narrow."""

Refit = Callable[[Design, np.ndarray, np.ndarray, int], float | None]
"""(design, measured, persons, seed) -> the estimate refitted on one draw, or None."""


@dataclass(frozen=True)
class BootstrapInterval:
    """Percentile interval, the replicates' standard deviation and how many gave an estimate."""

    ci_low: float
    ci_high: float
    std_error: float
    replicates: int


def person_draws(persons: np.ndarray, replications: int, seed: int) -> list[np.ndarray]:
    """Row indices of `replications` draws of as many persons as there are, with
    replacement, each person with all their rows (repeated as often as drawn)."""
    _, person = np.unique(persons, return_inverse=True)
    count = int(person.max()) + 1 if len(person) else 0
    rng = np.random.default_rng(seed)
    rows = np.arange(len(person))
    return [np.repeat(rows, np.bincount(rng.integers(0, count, count), minlength=count)[person]) for _ in range(replications)]


def bootstrap_interval(
    design: Design, measured: np.ndarray, persons: np.ndarray, refit: Refit, *, replications: int = BOOTSTRAP, seed: int = 0
) -> BootstrapInterval | None:
    """The percentile interval of `refit` over person draws of the due rows (see the module
    docstring); None when fewer than `MIN_REPLICATES` of the draws give an estimate."""
    estimates = []
    for rows in person_draws(persons, replications, seed):
        value = refit(design.subset(rows), measured[rows], persons[rows], seed)
        if value is not None and np.isfinite(value):
            estimates.append(value)
    if len(estimates) < max(2, MIN_REPLICATES * replications):
        return None
    low, high = np.percentile(estimates, [2.5, 97.5])
    return BootstrapInterval(float(low), float(high), float(np.std(estimates, ddof=1)), len(estimates))


def persons_of(rows: pd.DataFrame) -> np.ndarray:
    """The person label of each row (as text, the labels cross-fitting deals folds by)."""
    return rows["person_id"].astype(str).to_numpy()
