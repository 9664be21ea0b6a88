"""Bias and interval coverage under weak overlap, on synthetic designs with a known ATT.

The designs are `weak_overlap` in `tests/impact/impact_data.py` (the same generator the
bounded test uses): four covariates, a logistic participation model whose `strength`
pushes the participants away from the bulk of the comparison group (Kish's effective
comparison size falls from hundreds to about ten), an effect that grows with x1, and a
'linear', 'quadratic' or 'binary' outcome. The truth is the population ATT (Monte Carlo
over 4,000,000 draws). Each replication draws a fresh sample (seed = first seed + r) and
fits every method with its defaults (`aipw` is the project's default; `entropy` is
entropy balancing on the covariate means; `ipw` for contrast).

Prints one Markdown row per design and method: participants (mean), effective comparison
size of the method's weights (median), share of replications with an overlap warning,
bias and its Monte Carlo standard error, RMSE, mean SE / SD of the estimates, and the
coverage of the 95 % interval with its binomial standard error.

    uv run --frozen python benchmarks/overlap.py [--replications 200] [--first-seed 0]
        [--rows 3000] [--strengths 1,2,3,4] [--outcomes linear,quadratic,binary]
        [--methods aipw,entropy,ipw] [--bootstrap B]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "impact"))
from impact_data import weak_overlap, weak_overlap_truth  # noqa: E402

from polku.errors import ValidationFailed  # noqa: E402
from polku.impact.registry import make_estimator  # noqa: E402


def replicate(method: str, strength: float, outcome: str, rows: int, seeds: range, bootstrap: int = 0) -> dict[str, np.ndarray]:
    """Estimate, SE, interval, ESS and warning of `method` on one sample per seed (failed fits left out);
    with `bootstrap`, the percentile interval's ends too."""
    keys = ("estimate", "se", "low", "high", "ess", "warned", "treated", "boot_low", "boot_high")
    values: dict[str, list[float]] = {k: [] for k in keys}
    for seed in seeds:
        d = weak_overlap(rows, strength, outcome, seed=seed)
        try:
            r = make_estimator(method, random_state=seed, bootstrap=bootstrap).fit(d.X, d.t, d.y, d.covariates).result_
        except ValidationFailed:
            continue
        if r.estimate is None:
            continue
        boot = r.bootstrap_ci or (np.nan, np.nan)
        row = (r.estimate, r.std_error, r.ci_low, r.ci_high, r.overlap.ess_control, bool(r.overlap.warning), r.n_treated, *boot)
        for key, value in zip(keys, row):
            values[key].append(float(value))
    return {k: np.array(v) for k, v in values.items()}


def summary(values: dict[str, np.ndarray], truth: float) -> dict[str, float]:
    """Bias, its Monte Carlo SE, RMSE, SE/SD and coverage with its binomial SE."""
    error = values["estimate"] - truth
    count = len(error)
    covered = ((values["low"] <= truth) & (truth <= values["high"])).mean()
    return {
        "fits": count,
        "treated": values["treated"].mean(),
        "ess": float(np.median(values["ess"])),
        "warned": values["warned"].mean(),
        "bias": error.mean(),
        "mcse": error.std(ddof=1) / np.sqrt(count),
        "rmse": float(np.sqrt((error**2).mean())),
        "se_sd": values["se"].mean() / values["estimate"].std(ddof=1),
        "coverage": covered,
        "coverage_se": float(np.sqrt(covered * (1 - covered) / count)),
        "boot_coverage": ((values["boot_low"] <= truth) & (truth <= values["boot_high"])).mean(),
    }


COLUMNS = (
    "strength",
    "outcome",
    "truth",
    "method",
    "fits",
    "participants",
    "median ESS",
    "warned",
    "bias (MC SE)",
    "RMSE",
    "SE/SD",
    "coverage (SE)",
)


def header(bootstrap: int) -> str:
    columns = COLUMNS + (("bootstrap coverage",) if bootstrap else ())
    rule = ["---" if c in ("outcome", "method") else "---:" for c in columns]
    return f"| {' | '.join(columns)} |\n|{'|'.join(rule)}|"


def line(strength: float, outcome: str, truth: float, method: str, s: dict[str, float], bootstrap: int) -> str:
    return (
        f"| {strength:g} | {outcome} | {truth:.3f} | {method} | {s['fits']} | {s['treated']:.0f} | {s['ess']:.0f} | "
        f"{s['warned']:.0%} | {s['bias']:+.3f} ({s['mcse']:.3f}) | {s['rmse']:.3f} | {s['se_sd']:.2f} | "
        f"{s['coverage']:.1%} ({s['coverage_se']:.1%}) |" + (f" {s['boot_coverage']:.1%} |" if bootstrap else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--strengths", default="1,2,3,4")
    parser.add_argument("--outcomes", default="linear,quadratic,binary")
    parser.add_argument("--methods", default="aipw,entropy,ipw")
    parser.add_argument(
        "--bootstrap", type=int, default=0, help="also the coverage of the percentile bootstrap with this many replications"
    )
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.replications)
    print(header(args.bootstrap), flush=True)
    for strength in (float(s) for s in args.strengths.split(",")):
        for outcome in args.outcomes.split(","):
            truth = weak_overlap_truth(strength, outcome)
            for method in args.methods.split(","):
                values = replicate(method, strength, outcome, args.rows, seeds, args.bootstrap)
                print(line(strength, outcome, truth, method, summary(values, truth), args.bootstrap), flush=True)


if __name__ == "__main__":
    main()
