"""Which interval holds the truth of an effect on change: influence function, stacked sandwich or person bootstrap.

For each synthetic area (its own seed) and each item of one service's effects on change
within `--months`, with a known truth (as in `change_replications.py`: the mean with -
without change of the participants the row was estimated on), three 95 % intervals around
the same weighted AIPW estimate (`polku.change.effects`):

- `influence`: the influence function's, which treats the measurement model, the propensity
  and the outcome models as known (the estimator's own);
- `stacked`: the stacked estimating-equations sandwich that adds the logistic measurement
  model's score (Lunceford and Davidian 2004; Tsiatis 2006, ch. 9): IF_i - A H^-1 U_i with
  U_i = Z_i (R_i - pi_i), H = -mean(pi (1 - pi) Z Z'), A = mean(d IF_i / d gamma) =
  -mean(IF_i (1 - pi_i) Z_i') over rows whose chance is not held at the floor;
- `bootstrap` (with `--bootstrap B`): the person bootstrap of `polku.change.intervals`, which
  refits the measurement model and the estimator on each draw.

Also the effective comparison size (Kish) of the weights, by which docs/methods.md
section 11 bands the results.

    OMP_NUM_THREADS=1 uv run --frozen python benchmarks/change_intervals.py --service IPS
        --clients 5000 --replications 30 --first-seed 4000 [--bootstrap 200] [--jobs 1] [--csv FILE]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from impact_replications import KEY, run_areas

BANDS = (0.0, 5.0, 10.0, 30.0, 60.0, np.inf)


def _cells(seed: int, clients: int, service: str, months: int) -> list[tuple[str, pd.DataFrame]]:
    """(item, analysis rows with each participant's true effect) of one fresh area."""
    from polku.change.client_groups import grouped
    from polku.change.effects import WINDOWS, change_outcomes, measurements, shipped_scales
    from polku.cohort.build import CohortSpec, build_cohort
    from polku.identity import PseudonymKey
    from polku.ingest import import_folder
    from polku.store import open_store
    from polku.synth import generate

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "area"
        generate(clients=clients, seed=seed, out_dir=data)
        truth = pd.read_csv(data / "ground_truth_change.csv")
        truth = truth.assign(effect=truth["change_with"] - truth["change_without"])
        with open_store(Path(tmp) / "store.duckdb") as store:
            import_folder(store, data, key=PseudonymKey(KEY, 1))
            cohort = build_cohort(store, CohortSpec(service, windows=WINDOWS, seed=seed))
            as_of = cohort.attrs["as_of"]
            cohort = grouped(cohort, seed).assign(person_id=lambda f: f["person_id"].astype(str))
            values = measurements(store)
            for scale in shipped_scales():
                rows = change_outcomes(cohort, values, scale, months, as_of)
                mine = truth[(truth["item"] == scale.item) & (truth["months"] == months)][["episode_id", "effect"]]
                out.append((scale.item, rows.merge(mine, on="episode_id", how="left")))
    return out


def stacked(design, measured: np.ndarray, persons: np.ndarray, seed: int) -> dict[str, float]:  # noqa: ANN001
    """The weighted estimate, its influence-function SE (recomputed here, row by row) and the
    stacked SE with the measurement model's score; the effective comparison size."""
    from polku.change.effects import MIN_RESPONSE
    from polku.impact.design import influence_se
    from polku.impact.propensity import cross_fit_outcome, fit_propensity, folds
    from polku.impact.registry import make_estimator

    Z = np.column_stack([np.ones(len(measured)), design.X, design.t.astype(float)])
    raw = fit_propensity(Z[:, 1:], measured)
    pi = np.maximum(raw, MIN_RESPONSE)
    weights = np.where(measured, 1 / pi, 0.0)
    fitted = make_estimator("aipw", random_state=seed).fit(
        design.X, design.t, design.y, design.covariates, sample_weight=weights, clusters=persons
    )
    rows = np.flatnonzero(weights > 0)[fitted.kept_]  # the AIPW ATT's kept rows, as in polku.impact.weighting
    t, y, s, e = design.t[rows], design.y[rows], weights[rows], fitted.propensity_[fitted.kept_]
    person = np.unique(persons[rows], return_inverse=True)[1]
    r = y - cross_fit_outcome(design.X[rows], y, ~t, folds(t, 5, seed + 1, person), False, None, s)
    wt, wc = np.where(t, s, 0.0), np.where(t, 0.0, s * e / (1 - e))
    a, b = (wt * r).sum() / wt.sum(), (wc * r).sum() / wc.sum()
    n = len(measured)
    influence = np.zeros(n)
    influence[rows] = (wt * (r - a) / wt.mean() - wc * (r - b) / wc.mean()) * n / len(rows)
    derivative = -(influence * np.where(raw > MIN_RESPONSE, 1 - pi, 0.0)) @ Z / n
    hessian = -(Z * (pi * (1 - pi))[:, None]).T @ Z / n
    corrected = influence - (Z * (measured - pi)[:, None]) @ np.linalg.solve(hessian, derivative)
    clusters = np.unique(persons, return_inverse=True)[1]
    assert fitted.result_.estimate is not None and abs(a - b - fitted.result_.estimate) < 1e-9
    return {
        "estimate": float(a - b),
        "se_influence": influence_se(influence, clusters),
        "se_stacked": influence_se(corrected, clusters),
        "effective_comparison": float(fitted.result_.overlap.ess_control),  # type: ignore[union-attr, arg-type]
    }


def replicate(seed: int, clients: int, service: str, months: int, bootstrap: int) -> list[dict]:
    """One area: per item, the three intervals' figures against the truth."""
    from polku.change.effects import outcome_design, refit_estimate, too_small
    from polku.change.intervals import bootstrap_interval, persons_of

    out = []
    for item, rows in _cells(seed, clients, service, months):
        if too_small(rows):
            continue
        design, measured, persons = outcome_design(rows, item), rows["measured"].to_numpy(bool), persons_of(rows)
        row = {"seed": seed, "item": item, "truth": float(rows.loc[rows["treated"].astype(bool), "effect"].mean())}
        row |= stacked(design, measured, persons, seed)
        started = time.perf_counter()
        boot = (
            bootstrap_interval(design, measured, persons, refit_estimate, replications=bootstrap, seed=seed)
            if bootstrap
            else None
        )
        row |= {"boot_low": np.nan, "boot_high": np.nan, "boot_se": np.nan, "boot_seconds": time.perf_counter() - started}
        if boot is not None:
            row |= {"boot_low": boot.ci_low, "boot_high": boot.ci_high, "boot_se": boot.std_error}
        out.append(row)
    return out


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per band of effective comparison size: cells, the SD of the errors against the root mean
    square of each SE, and each interval's coverage."""
    table = table.assign(error=table["estimate"] - table["truth"])
    holds = lambda low, high: (low <= table["truth"]) & (table["truth"] <= high)  # noqa: E731
    table["influence"] = holds(table["estimate"] - 1.96 * table["se_influence"], table["estimate"] + 1.96 * table["se_influence"])
    table["stacked"] = holds(table["estimate"] - 1.96 * table["se_stacked"], table["estimate"] + 1.96 * table["se_stacked"])
    table["bootstrap"] = holds(table["boot_low"], table["boot_high"]).where(table["boot_low"].notna())
    band = pd.cut(table["effective_comparison"], BANDS, right=False)
    grouped = table.groupby(band, observed=True)
    rms = lambda c: grouped[c].apply(lambda v: float(np.sqrt((v**2).mean())))  # noqa: E731
    out = pd.DataFrame(
        {
            "cells": grouped.size(),
            "sd_error": grouped["error"].std(),
            "rms_se_influence": rms("se_influence"),
            "rms_se_stacked": rms("se_stacked"),
            "rms_se_bootstrap": rms("boot_se"),
            "influence": grouped["influence"].mean(),
            "stacked": grouped["stacked"].mean(),
            "bootstrap": grouped["bootstrap"].mean(),  # NaN without --bootstrap
        }
    )
    return out.reset_index().rename(columns={"effective_comparison": "effective comparison"})


def _show(table: pd.DataFrame) -> None:
    shown = summarise(table)
    for c in ("influence", "stacked", "bootstrap"):
        shown[c] = (100 * shown[c]).map(lambda v: f"{v:.0f} %")
    print(shown.round(3).to_string(index=False))
    ratio = (table["se_stacked"] / table["se_influence"]).median()
    print(f"{len(table)} cells from {table['seed'].nunique()} areas; median stacked SE / influence SE {ratio:.3f}")
    if table["boot_se"].notna().any():
        print(f"bootstrap: {table['boot_seconds'].mean():.1f} s per cell")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--service", default="IPS")
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=4000)
    parser.add_argument("--bootstrap", type=int, default=0, help="Replicates of the person bootstrap (0: none).")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--csv", type=Path, default=Path(tempfile.gettempdir()) / "polku_change_intervals.csv")
    parser.add_argument("--summarise", type=Path, default=None, help="Only summarise an earlier --csv file.")
    args = parser.parse_args()
    if args.summarise:
        _show(pd.read_csv(args.summarise))
        return
    seeds = range(args.first_seed, args.first_seed + args.replications)
    started = time.perf_counter()
    table = run_areas(replicate, seeds, args.jobs, args.csv, args.clients, args.service, args.months, args.bootstrap)
    took = time.perf_counter() - started
    print(f"{args.replications} areas of {args.clients:,} clients, {args.service}; {took:,.0f} s; rows in {args.csv}")
    _show(table)


if __name__ == "__main__":
    main()
