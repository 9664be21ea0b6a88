"""The no-service outcome model of expected versus observed: P(employed | covariates)
learned from people without the service.

Two kinds, as the seed brief asks:
  - `logistic` (default): logistic regression on standardised covariates; each
    coefficient can be read and defended, and its predictions match the observed rate on
    average (calibration in the large), though not necessarily in every tenth of risk:
    the calibration table shows where it is off.
  - `boosting`: scikit-learn's HistGradientBoosting with isotonic calibration (3-fold
    `CalibratedClassifierCV`), for non-linear patterns in large reference populations.
A continuous outcome (earnings, days employed) uses linear regression or boosting regression.

Quality is measured on a held-out quarter of the reference population before the final
model is fitted on all of it: AUC and Brier score (binary) or R^2 and RMSE (continuous),
and a calibration table by tenths of predicted probability (the data of a calibration
plot). An uncalibrated model would put its bias straight into "expected".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import brier_score_loss, mean_squared_error, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split

from polku.errors import UsageError
from polku.impact.design import is_binary
from polku.impact.models import default_outcome_model

KINDS = ("logistic", "boosting")


@dataclass(frozen=True)
class CalibrationBin:
    """Held-out people whose predicted probability fell in one tenth of the range."""

    predicted_low: float
    predicted_high: float
    count: int
    mean_predicted: float
    observed_rate: float


@dataclass(frozen=True)
class ModelQuality:
    """Held-out quality of the no-service model (fields by outcome type)."""

    n_train: int
    n_holdout: int
    auc: float | None = None
    brier: float | None = None
    r2: float | None = None
    rmse: float | None = None
    residual_variance: float | None = None
    calibration: tuple[CalibrationBin, ...] = field(default=())


def make_model(kind: str, binary: bool, seed: int) -> Any:
    """An unfitted scikit-learn model of the given kind for a binary or continuous outcome."""
    if kind not in KINDS:
        raise UsageError(f"unknown expected-versus-observed model '{kind}'", fix=f"use one of: {', '.join(KINDS)}.")
    if kind == "logistic":
        return default_outcome_model(binary)
    if binary:
        return CalibratedClassifierCV(HistGradientBoostingClassifier(random_state=seed), method="isotonic", cv=3)
    return HistGradientBoostingRegressor(random_state=seed)


def predict(model: Any, X: np.ndarray, binary: bool) -> np.ndarray:
    return model.predict_proba(X)[:, 1] if binary else model.predict(X)


def _calibration(p: np.ndarray, y: np.ndarray) -> tuple[CalibrationBin, ...]:
    edges = np.linspace(0, 1, 11)
    bins = []
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (p >= low) & ((p < high) if high < 1 else (p <= high))
        if inside.any():
            bins.append(
                CalibrationBin(float(low), float(high), int(inside.sum()), float(p[inside].mean()), float(y[inside].mean()))
            )
    return tuple(bins)


def held_out_quality(X: np.ndarray, y: np.ndarray, kind: str, seed: int, holdout: float = 0.25) -> ModelQuality:
    """Fit on three quarters of the reference population and score the last quarter."""
    binary = is_binary(y)
    stratify = y if binary and np.bincount(y.astype(int)).min() >= 2 else None
    X_fit, X_test, y_fit, y_test = train_test_split(X, y, test_size=holdout, random_state=seed, stratify=stratify)
    fitted = clone(make_model(kind, binary, seed)).fit(X_fit, y_fit)
    p = predict(fitted, X_test, binary)
    if binary:
        auc = float(roc_auc_score(y_test, p)) if len(np.unique(y_test)) == 2 else None
        return ModelQuality(
            len(y_fit), len(y_test), auc=auc, brier=float(brier_score_loss(y_test, p)), calibration=_calibration(p, y_test)
        )
    residual = y_test - p
    return ModelQuality(
        len(y_fit),
        len(y_test),
        r2=float(r2_score(y_test, p)),
        rmse=float(np.sqrt(mean_squared_error(y_test, p))),
        residual_variance=float(residual.var()),
    )
