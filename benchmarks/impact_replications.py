"""Bias and interval coverage of the store estimates over many synthetic areas.

Each replication generates a fresh synthetic area (its own seed), imports it into an
in-memory store exactly as a user would, and runs `polku.impact.service_estimates` for
every service. The generator knows each participant's outcome both with and without the
service (`ground_truth_episodes.csv`), so the truth of every row is the mean individual
effect on the *same* participants that row was estimated on (the sample ATT); bias is
the mean of estimate - truth over replications, coverage the share of 95 % intervals that
contain the truth. The naive participants-minus-comparison difference is shown beside it.

Issue 3's targets: |bias| < 1.5 percentage points for every service and client group
with at least 500 participants (on average over the replications), coverage 92-98 %.

    OMP_NUM_THREADS=1 uv run --frozen python benchmarks/impact_replications.py [--replications 100]
        [--clients 20000] [--outcome employed_12m] [--method aipw] [--jobs 2] [--services REHAB] [--csv FILE]

`OMP_NUM_THREADS=1` keeps each area's boosting (the referral model of
`polku.cohort.augmented`) on one core, as two areas run at a time. Per-replication rows go
to `--csv` (default: a file in the temporary folder, printed), so a long run can be
summarised again with `--summarise FILE`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TARGET_BIAS = 0.015
MIN_FOR_TARGET = 500
KEY = bytes.fromhex("5e" * 32)


def _truth(frame: pd.DataFrame, episodes: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The analysed participants with their individual effect (with - without)."""
    part = frame[frame["treated"]].merge(
        episodes.drop(columns="service_code"), on="episode_id", how="left", validate="one_to_one"
    )
    if part[f"{outcome}_with"].isna().any():
        raise RuntimeError("a participant has no ground-truth episode; the generator and the store disagree")
    part["effect"] = part[f"{outcome}_with"].astype(float) - part[f"{outcome}_without"].astype(float)
    return part


def _naive(frame: pd.DataFrame, outcome: str) -> float:
    """Participants minus comparison people with only the censoring weights: unlike the
    result's `naive_difference` (rows with weight > 0, unweighted), it compares with the
    same never-served comparison the estimate targets, so the gap is all confounding."""
    t = frame["treated"].to_numpy(bool)
    y = frame[outcome].to_numpy(float)
    w = frame["censoring_weight"].to_numpy(float) if "censoring_weight" in frame else np.ones(len(frame))
    if t.sum() == 0 or (~t).sum() == 0:
        return float("nan")
    return float(y[t].mean() - np.average(y[~t], weights=w[~t]))


def replicate(seed: int, clients: int, outcome: str, method: str, services: tuple[str, ...] = ()) -> list[dict]:
    """One synthetic area: every service's overall and per-group rows against the truth."""
    from polku.identity import PseudonymKey
    from polku.ingest import import_folder
    from polku.pipeline.by_service import service_estimates
    from polku.store import open_store
    from polku.synth import generate

    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "area"
        generate(clients=clients, seed=seed, out_dir=data)
        keep = ["episode_id", "service_code", f"{outcome}_with", f"{outcome}_without"]
        episodes = pd.read_csv(data / "ground_truth_episodes.csv", usecols=keep)
        with open_store(Path(tmp) / "store.duckdb") as store:
            import_folder(store, data, key=PseudonymKey(KEY, 1))
            for service in sorted(set(episodes["service_code"]) & set(services or episodes["service_code"])):
                started = time.perf_counter()
                estimates, frame = service_estimates(store, service, outcome=outcome, method=method, seed=seed, by_provider=False)
                seconds = time.perf_counter() - started
                part = _truth(frame, episodes, outcome)
                for row in estimates:  # the service and its client groups (no providers asked for)
                    group = row.client_group
                    chosen = part if group is None else part[part["client_group"] == group]
                    rows_frame = frame if group is None else frame[frame["client_group"] == group]
                    r = row.result
                    rows.append(
                        {
                            "seed": seed,
                            "service": service,
                            "group": group or "all",
                            "participants": len(chosen),
                            "truth": chosen["effect"].mean() if len(chosen) else np.nan,
                            "estimate": r.estimate,
                            "ci_low": r.ci_low,
                            "ci_high": r.ci_high,
                            "naive": _naive(rows_frame, outcome),
                            "seconds": seconds,
                        }
                    )
    return rows


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per service and group: mean size, truth, bias with its Monte Carlo SE, RMSE, coverage."""
    table = table.dropna(subset=["estimate"]).copy()
    table["error"] = table["estimate"] - table["truth"]
    table["naive_error"] = table["naive"] - table["truth"]
    table["covered"] = (table["ci_low"] <= table["truth"]) & (table["truth"] <= table["ci_high"])
    grouped = table.groupby(["service", "group"], sort=False)
    out = pd.DataFrame(
        {
            "reps": grouped.size(),
            "participants": grouped["participants"].mean().round(0),
            "truth": grouped["truth"].mean(),
            "bias": grouped["error"].mean(),
            "bias_se": grouped["error"].std() / np.sqrt(grouped.size()),
            "rmse": np.sqrt(grouped["error"].apply(lambda e: (e**2).mean())),
            "coverage": grouped["covered"].mean(),
            "naive_bias": grouped["naive_error"].mean(),
        }
    )
    out["target"] = np.where(
        out["participants"] >= MIN_FOR_TARGET, np.where(out["bias"].abs() < TARGET_BIAS, "met", "MISSED"), "n<500"
    )
    return out.reset_index()


def _print(summary: pd.DataFrame, table: pd.DataFrame) -> None:
    pd.set_option("display.width", 160)
    shown = summary.copy()
    for c in ("truth", "bias", "bias_se", "rmse", "naive_bias"):
        shown[c] = (100 * shown[c]).map(lambda v: f"{v:+.2f}")
    shown["coverage"] = (100 * shown["coverage"]).map(lambda v: f"{v:.0f} %")
    print("(percentage points; bias = mean(estimate - truth on the same participants))")
    print(shown.to_string(index=False))
    kept = table.dropna(subset=["estimate"])
    covered = ((kept["ci_low"] <= kept["truth"]) & (kept["truth"] <= kept["ci_high"])).mean()
    print(
        f"\noverall 95 % interval coverage {100 * covered:.1f} % over {len(kept):,} estimates "
        f"from {table['seed'].nunique()} areas (target 92-98 %)"
    )
    large = summary[summary["participants"] >= MIN_FOR_TARGET]
    print(
        f"rows with >= {MIN_FOR_TARGET} participants: {len(large)}; |bias| < {100 * TARGET_BIAS:.1f} pp in "
        f"{(large['bias'].abs() < TARGET_BIAS).sum()}; largest |bias| {100 * large['bias'].abs().max():.2f} pp; "
        f"coverage {100 * large['coverage'].min():.0f}-{100 * large['coverage'].max():.0f} %"
    )
    print(f"naive difference: mean |bias| {100 * summary['naive_bias'].abs().mean():.1f} pp")


def run_areas(replicate_one: Callable[..., list[dict]], seeds: range, jobs: int, csv: Path, *arguments: Any) -> pd.DataFrame:
    """`replicate_one(seed, *arguments)` for every seed, `jobs` areas at a time; the rows so
    far are rewritten to `csv` after each area, so a long run can be summarised if stopped."""
    started = time.perf_counter()
    rows: list[dict] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(replicate_one, seed, *arguments) for seed in seeds]
        for done, future in enumerate(futures, 1):
            rows += future.result()
            pd.DataFrame(rows).to_csv(csv, index=False)
            print(f"\r{done}/{len(seeds)} areas, {time.perf_counter() - started:,.0f} s", end="", file=sys.stderr)
    print(file=sys.stderr)
    return pd.DataFrame(rows)


def coverage_line(table: pd.DataFrame) -> str:
    """The overall 95 % interval coverage of a replication table and how many rows were withheld."""
    kept = table.dropna(subset=["estimate"])
    covered = ((kept["ci_low"] <= kept["truth"]) & (kept["truth"] <= kept["ci_high"])).mean()
    return (
        f"overall 95 % interval coverage {100 * covered:.1f} % over {len(kept):,} estimates "
        f"from {table['seed'].nunique()} areas (target 92-98 %); {len(table) - len(kept)} rows withheld as too small"
    )


def service_replications(
    doc: str,
    replicate_one: Callable[..., list[dict]],
    show: Callable[[pd.DataFrame], None],
    *,
    replications: int,
    first_seed: int,
    services: str,
    name: str,
) -> None:
    """The command line of a replication over synthetic areas of `--clients` by service
    (effects on change, on goals): run `replicate_one(seed, clients, services)` per area on
    `--jobs` processes, or only `--summarise` an earlier CSV; `show` prints the table."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--replications", type=int, default=replications)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--first-seed", type=int, default=first_seed)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--services", default=services, help="Services, comma-separated ('' for all).")
    parser.add_argument("--csv", type=Path, default=None, help="Write per-replication rows here.")
    parser.add_argument("--summarise", type=Path, default=None, help="Only summarise an earlier --csv file.")
    args = parser.parse_args()
    if args.summarise:
        show(pd.read_csv(args.summarise))
        return
    csv = args.csv or Path(tempfile.gettempdir()) / f"polku_{name}_replications.csv"
    seeds = range(args.first_seed, args.first_seed + args.replications)
    started = time.perf_counter()
    chosen = tuple(code for code in args.services.split(",") if code)
    table = run_areas(replicate_one, seeds, args.jobs, csv, args.clients, chosen)
    print(f"{args.replications} areas of {args.clients:,} clients; {time.perf_counter() - started:,.0f} s; rows in {csv}")
    show(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--outcome", default="employed_12m")
    parser.add_argument("--method", default="aipw")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--services", default="", help="Only these services, comma-separated (default: all).")
    parser.add_argument("--csv", type=Path, default=None, help="Write per-replication rows here.")
    parser.add_argument("--summarise", type=Path, default=None, help="Only summarise an earlier --csv file.")
    args = parser.parse_args()
    if args.summarise:
        table = pd.read_csv(args.summarise)
        _print(summarise(table), table)
        return
    csv = args.csv or Path(tempfile.gettempdir()) / f"polku_replications_{args.method}_{args.outcome}.csv"
    seeds = range(args.first_seed, args.first_seed + args.replications)
    started = time.perf_counter()
    services = tuple(code for code in args.services.split(",") if code)
    table = run_areas(replicate, seeds, args.jobs, csv, args.clients, args.outcome, args.method, services)
    print(
        f"{args.replications} areas of {args.clients:,} clients, outcome {args.outcome}, method {args.method}; "
        f"{time.perf_counter() - started:,.0f} s; rows in {csv}"
    )
    _print(summarise(table), table)


if __name__ == "__main__":
    main()
