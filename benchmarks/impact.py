"""AIPW speed and agreement against EconML's doubly robust learner, on the same data.

Generates one synthetic data set with a known effect (`--rows`, default 1,000,000): four
covariates (three normal, one 0/1), participation that depends on them (confounded: the
naive difference is far from the truth), and by default a 0/1 outcome ("employed") from
a logistic model with the service adding 0.8 to the log-odds, so that the effect on the
probability differs between people and the ATE differs from the ATT (`--outcome
continuous`: a linear outcome with a constant effect of 2). The truth is the average of
the individual effects in the sample, p1(x) - p0(x) (or 2).

Both estimate the ATE with cross-fitting over the same number of folds (`--folds`, default
5, Polku's default; EconML's own default is cv=2) and the same nuisance model classes:
propensity StandardScaler + LogisticRegression(C=1e6), outcome the same logistic model
(or StandardScaler + LinearRegression). Polku: `AIPW(estimand="ate", n_folds=K, trim=0)` (trim=0 so
that, like EconML, every unit is kept; propensities clipped at 1e-6 in both). EconML:
`LinearDRLearner(model_propensity=..., model_regression=..., discrete_outcome=...,
cv=K, random_state=seed).fit(y, t, W=X)` (no X: a constant effect), `ate()` and
`ate_interval()`; its other settings are its defaults. EconML fits one outcome model on
the covariates plus the treatment indicator, Polku one per group; both are correctly
specified for these data.

Each is timed `--repeat` times, alternating which goes first, after an untimed warm-up on
5,000 rows; prints both estimates with their 95 % intervals, the truth, every time, the
medians and the ratio of the medians, EconML / Polku (goal: at least 5). Polku's fits run
BLAS on one thread whatever the setting (see `polku.impact.fast_fits`); `--blas-threads 1`
limits BLAS for both, the comparison that does not depend on how a busy machine treats
BLAS's threads.

    uv run --frozen python benchmarks/impact.py [--rows N] [--seed S] [--repeat N] [--folds K]
        [--outcome binary|continuous] [--blas-threads N]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import warnings
from typing import Any

import numpy as np
from econml.dr import LinearDRLearner
from scipy.special import expit
from sklearn.exceptions import DataConversionWarning
from threadpoolctl import threadpool_limits

from polku.impact import AIPW
from polku.impact.models import default_outcome_model, default_propensity_model

# EconML hands the outcome to a classifier as a column vector (n x 1); scikit-learn warns.
warnings.filterwarnings("ignore", message="A column-vector y was passed", category=DataConversionWarning)


def generate(rows: int, seed: int, outcome: str = "binary") -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Covariates X, participation t, outcome y and the true ATE (sample mean of the individual effects)."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=(rows, 3)), rng.random(rows) < 0.4]).astype(float)
    t = rng.random(rows) < expit(-0.8 + 1.0 * X[:, 0] - 0.5 * X[:, 1] + 0.3 * X[:, 2] + 0.5 * X[:, 3])
    if outcome == "binary":
        index = -1.5 + 1.0 * X[:, 0] - 1.0 * X[:, 1] + 0.5 * X[:, 2] - 0.5 * X[:, 3]
        p0, p1 = expit(index), expit(index + 0.8)
        y = np.where(t, rng.random(rows) < p1, rng.random(rows) < p0).astype(float)
        return X, t, y, float((p1 - p0).mean())
    y = 1.0 + 3.0 * X[:, 0] - 2.0 * X[:, 1] + X[:, 2] + X[:, 3] + 2.0 * t + rng.normal(size=rows)
    return X, t, y, 2.0


def run_polku(X: np.ndarray, t: np.ndarray, y: np.ndarray, folds: int, seed: int) -> tuple[float, float, float, float]:
    result = AIPW(estimand="ate", n_folds=folds, trim=0, random_state=seed).fit(X, t, y).result_
    return result.estimate, result.std_error, result.ci_low, result.ci_high  # type: ignore[return-value]


def run_econml(
    X: np.ndarray, t: np.ndarray, y: np.ndarray, folds: int, seed: int, binary: bool
) -> tuple[float, float, float, float]:
    learner = LinearDRLearner(
        model_propensity=default_propensity_model(),
        model_regression=default_outcome_model(binary),
        discrete_outcome=binary,
        cv=folds,
        random_state=seed,
    )
    learner.fit(y, t.astype(int), W=X)
    low, high = learner.ate_interval(alpha=0.05)
    return (
        float(np.squeeze(learner.ate())),
        float(np.squeeze(learner.ate_inference().stderr_mean)),
        float(np.squeeze(low)),
        float(np.squeeze(high)),
    )


def timed(run: Any) -> tuple[float, tuple[float, float, float, float]]:
    started = time.perf_counter()
    values = run()
    return time.perf_counter() - started, values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds of each (medians are compared)")
    parser.add_argument("--folds", type=int, default=5, help="cross-fitting folds for both (Polku's default 5)")
    parser.add_argument("--outcome", choices=("binary", "continuous"), default="binary")
    parser.add_argument("--blas-threads", type=int, default=None, help="limit BLAS threads for both (default: the library's own)")
    args = parser.parse_args()
    limit = threadpool_limits(args.blas_threads, user_api="blas") if args.blas_threads else contextlib.nullcontext()
    with limit:
        compare(args)


def compare(args: argparse.Namespace) -> None:
    binary = args.outcome == "binary"

    warm = generate(5_000, args.seed + 1, args.outcome)[:3]
    run_polku(*warm, args.folds, args.seed)
    run_econml(*warm, args.folds, args.seed, binary)

    X, t, y, truth = generate(args.rows, args.seed, args.outcome)
    polku_times, econml_times = [], []
    for round_ in range(args.repeat):
        order = ("polku", "econml") if round_ % 2 == 0 else ("econml", "polku")
        for name in order:
            if name == "polku":
                seconds, polku = timed(lambda: run_polku(X, t, y, args.folds, args.seed))
                polku_times.append(seconds)
            else:
                seconds, econml = timed(lambda: run_econml(X, t, y, args.folds, args.seed, binary))
                econml_times.append(seconds)

    blas = f"BLAS threads limited to {args.blas_threads}" if args.blas_threads else "BLAS threads as the library sets them"
    print(
        f"data: {args.rows:,} rows, {int(t.sum()):,} participants, {args.outcome} outcome, seed {args.seed}; "
        f"ATE with {args.folds}-fold cross-fitting; {args.repeat} rounds; {blas}"
    )
    print(f"truth (mean individual effect): {truth:.5f}   naive difference: {y[t].mean() - y[~t].mean():.5f}")
    for name, (estimate, se, low, high) in (("Polku AIPW", polku), ("EconML LinearDRLearner", econml)):
        print(f"{name:24s} {estimate:.5f}  SE {se:.5f}  95% CI {low:.5f} to {high:.5f}  covers truth: {low <= truth <= high}")
    print(f"difference: {econml[0] - polku[0]:+.6f} = {(econml[0] - polku[0]) / polku[1]:+.3f} Polku SE")
    polku_s, econml_s = statistics.median(polku_times), statistics.median(econml_times)
    print(f"Polku AIPW:             {polku_s:6.2f} s   (runs: {_seconds(polku_times)})")
    print(f"EconML LinearDRLearner: {econml_s:6.2f} s   (runs: {_seconds(econml_times)})")
    print(f"EconML time / Polku time: {econml_s / polku_s:.1f}x (goal >= 5x)")


def _seconds(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
