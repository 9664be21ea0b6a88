"""From a flat table to the arrays the estimators use: covariates X, treatment t, outcome y.

Kept apart from the estimators so that the CLI, the store's cohorts and the tests build
the same design: numeric covariates enter as they are, text or categorical covariates as
indicators (first level dropped, so the columns are not collinear with the intercept). A
missing value stops with the column's name: silently dropping rows would change the
population an effect is about.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from polku.errors import UsageError, ValidationFailed

MIN_PARTICIPANTS = 60
"""Below this many participants no estimate is shown, as in the UK Justice Data Lab: an
interval from so few people is too wide to guide a decision, and small groups risk
disclosure."""
MIN_MEASURED_COMPARISON = 100
"""Effects on change (`polku.change.effects`): fewer measured comparison people give no
estimate: in the first 50-area benchmark run, intervals resting on 80 or fewer held the
truth 79 % of the time, on 80-120 90 %, on more 91-96 % (docs/methods.md section 11).
What decides an interval's honesty is how many comparison people are like the participants
(the effective comparison size of the weights), which this count only bounds: below 10 of
them a cell is withheld or bootstrapped (`polku.change.effects.MIN_EFFECTIVE_COMPARISON`)."""


@dataclass(frozen=True)
class Design:
    """Covariate matrix (n x p), treatment (bool, n), outcome (float, n), names, case
    weights `w` (n, positive; all ones unless given, e.g. inverse probability of censoring)
    and `clusters` (n labels; rows with one label, such as one person drawn as a comparison
    on several dates, are not independent)."""

    X: np.ndarray
    t: np.ndarray
    y: np.ndarray
    covariates: tuple[str, ...]
    w: np.ndarray | None = None
    clusters: np.ndarray | None = None

    @property
    def weights(self) -> np.ndarray:
        return self.w if self.w is not None else np.ones(len(self.y))

    @property
    def weighted(self) -> bool:
        return self.w is not None and not np.all(self.w == 1.0)

    @property
    def n_treated(self) -> int:
        return int(self.t.sum())

    @property
    def n_control(self) -> int:
        return int((~self.t).sum())

    @property
    def binary_outcome(self) -> bool:
        return is_binary(self.y)

    def subset(self, keep: np.ndarray) -> Design:
        pick = lambda a: None if a is None else a[keep]  # noqa: E731
        return Design(self.X[keep], self.t[keep], self.y[keep], self.covariates, pick(self.w), pick(self.clusters))


def is_binary(values: np.ndarray) -> bool:
    """True when every value is 0 or 1 (an employed/not employed outcome)."""
    return bool(np.isin(values, (0.0, 1.0)).all())


def _missing_error(column: str, count: int, source: str) -> ValidationFailed:
    return ValidationFailed(
        f"column '{column}' has {count} missing value(s)",
        where=source,
        why="dropping rows with missing values would silently change who the estimate is about.",
        fix="fill or remove the missing values explicitly (or leave the column out of --covariates).",
    )


def _column(frame: pd.DataFrame, name: str, source: str) -> pd.Series:
    if name not in frame.columns:
        raise UsageError(
            f"the data has no column '{name}'",
            where=source,
            fix=f"use one of: {', '.join(map(str, frame.columns))}.",
        )
    column = frame[name]
    if column.isna().any():
        raise _missing_error(name, int(column.isna().sum()), source)
    return column


def covariate_matrix(frame: pd.DataFrame, covariates: list[str], source: str = "data") -> tuple[np.ndarray, tuple[str, ...]]:
    """Numeric columns as they are; other columns as 0/1 indicators, first level dropped."""
    parts, names = [], []
    for name in covariates:
        column = _column(frame, name, source)
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            parts.append(column.to_numpy(dtype=float)[:, None])
            names.append(name)
            continue
        levels, codes = np.unique(column.astype(str).to_numpy(dtype=object), return_inverse=True)  # sorted, as text
        for index, level in enumerate(levels[1:], start=1):
            parts.append((codes.ravel() == index).astype(float)[:, None])
            names.append(f"{name}={level}")
    if not parts:
        return np.empty((len(frame), 0)), ()
    return np.hstack(parts), tuple(names)


def _treatment(frame: pd.DataFrame, name: str, source: str) -> np.ndarray:
    values = _column(frame, name, source)
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool)
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.isna().any() or not numeric.isin((0, 1)).all():
        raise ValidationFailed(
            f"the treatment column '{name}' must hold only 0 and 1 (or true and false)",
            where=source,
            why="each row must be either a participant (1) or a comparison person (0).",
            fix="recode the column, e.g. 1 for participants of the service and 0 for everybody else.",
        )
    return numeric.to_numpy(dtype=float) == 1.0


def _outcome(frame: pd.DataFrame, name: str, source: str) -> np.ndarray:
    values = _column(frame, name, source)
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float)
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.isna().any():
        raise ValidationFailed(
            f"the outcome column '{name}' holds values that are not numbers",
            where=source,
            fix="use 0/1 for an outcome such as employed, or a number such as earnings.",
        )
    return numeric.to_numpy(dtype=float)


def design_from_frame(frame: pd.DataFrame, treatment: str, outcome: str, covariates: list[str], source: str = "data") -> Design:
    """The estimators' input from a table with one row per person (or person and start)."""
    X, names = covariate_matrix(frame, covariates, source)
    return Design(X, _treatment(frame, treatment, source), _outcome(frame, outcome, source), names)


def design_from_arrays(
    X: np.ndarray,
    t: np.ndarray,
    y: np.ndarray,
    names: tuple[str, ...] | None,
    weights: np.ndarray | None = None,
    clusters: np.ndarray | None = None,
) -> Design:
    """The estimators' input from arrays, checked; rows with weight 0 are left out."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    t = np.asarray(t)
    y = np.asarray(y, dtype=float)
    if not (len(X) == len(t) == len(y)):
        raise UsageError(f"X, t and y have different lengths ({len(X)}, {len(t)}, {len(y)})")
    if not np.isin(t, (0, 1, True, False)).all():
        raise UsageError("the treatment must be 0/1 or true/false")
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise UsageError("X and y must be finite numbers (no missing values)")
    names = tuple(names) if names is not None else tuple(f"x{j}" for j in range(X.shape[1]))
    if clusters is not None:
        clusters = np.unique(np.asarray(clusters), return_inverse=True)[1].ravel()
        if len(clusters) != len(y):
            raise UsageError("clusters must hold one label per row")
    design = Design(X, t.astype(bool), y, names, None, clusters)
    if weights is None:
        return design
    weights = np.asarray(weights, dtype=float)
    if len(weights) != len(y) or not np.isfinite(weights).all() or (weights < 0).any():
        raise UsageError("sample_weight must hold one finite, non-negative weight per row")
    return Design(X, t.astype(bool), y, names, weights, clusters).subset(weights > 0)


def influence_se(influence: np.ndarray, clusters: np.ndarray | None = None) -> float:
    """Standard error of a mean-zero influence function: sqrt(sum IF^2) / n, or with
    clusters the cluster-robust sqrt(G / (G - 1) sum_g (sum_{i in g} IF_i)^2) / n (Liang and
    Zeger 1986; G clusters), which allows rows of one cluster to be correlated."""
    n = len(influence)
    if clusters is None:
        return float(np.sqrt((influence**2).sum()) / n)
    sums = np.bincount(clusters, weights=influence)
    g = int((np.bincount(clusters) > 0).sum())
    return float(np.sqrt(g / max(g - 1, 1) * (sums**2).sum()) / n)


def size_note(design: Design, minimum: int) -> str:
    """Why no estimate may be shown (too few participants or comparison units), or ''."""
    return count_note(design.n_treated, design.n_control, minimum)


def count_note(n_treated: int, n_control: int, minimum: int) -> str:
    """`size_note` from the two counts (for views that hold no Design)."""
    if n_treated < minimum:
        return f"too few participants for an estimate ({n_treated}; at least {minimum} are needed)"
    if n_control < minimum:
        return f"too few comparison units for an estimate ({n_control}; at least {minimum} are needed)"
    return ""


def naive_difference(design: Design) -> float | None:
    """Participants' mean outcome minus the others', without any adjustment."""
    if design.n_treated == 0 or design.n_control == 0:
        return None
    return float(design.y[design.t].mean() - design.y[~design.t].mean())
