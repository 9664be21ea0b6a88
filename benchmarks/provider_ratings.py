"""How often the provider ratings mislead, over many synthetic areas where the truth is known.

Each replication generates a fresh synthetic area (its own seed, honest providers), imports
it, rates every provider of every service with two or more providers exactly as an analysis
run does (`polku.providers.compare.comparison` on the seed model's p_i, from
`polku.providers.tables.seed_model_views`: the run's cohorts without the AIPW fits), and
takes each provider's true effect from the generator: the mean of employed_12m with minus
without the service over the same rated participants (`ground_truth_episodes.csv`).

A provider is "above the median" when its true effect exceeds the median of its service's
providers' true effects in that area, "below" when it is under it (a provider on the
median, the middle one of an odd number, counts as neither). The confusion table counts
ratings (high, moderate, low) by that truth, for the risk-adjusted and the naive funnels.
Issue 18's targets: P(low | above median) < 5 % and P(high | below median) < 5 %.

    OMP_NUM_THREADS=1 uv run --frozen python benchmarks/provider_ratings.py [--replications 50]
        [--clients 20000] [--jobs 2] [--first-seed 2000] [--dispersion additive] [--rate-at 0.998]
        [--csv FILE] [--summarise FILE]

Per-provider rows go to `--csv` (default: a file in the temporary folder), so a long run
can be summarised again with `--summarise FILE` under other settings of the rating rule
(`--dispersion`, `--rate-at` re-rate from the stored O and E).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

KEY = bytes.fromhex("6e" * 32)
OUTCOME = "employed_12m"
RATINGS = ("high", "moderate", "low")


def replicate(seed: int, clients: int) -> list[dict]:
    """One synthetic area: each provider's O, E, n, naive rate and true effect."""
    from polku.identity import PseudonymKey
    from polku.ingest import import_folder
    from polku.providers.tables import participant_rows, seed_model_views
    from polku.store import open_store
    from polku.synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "area"
        generate(clients=clients, seed=seed, out_dir=data)
        truth = pd.read_csv(data / "ground_truth_episodes.csv", usecols=["episode_id", f"{OUTCOME}_with", f"{OUTCOME}_without"])
        with open_store(Path(tmp) / "store.duckdb") as store:
            import_folder(store, data, key=PseudonymKey(KEY, 1))
            views = seed_model_views(store, outcome=OUTCOME, seed=seed)
            rows = participant_rows(views, OUTCOME, seed)
    rows = rows.merge(truth, on="episode_id", how="left", validate="one_to_one")
    rows["effect"] = rows[f"{OUTCOME}_with"].astype(float) - rows[f"{OUTCOME}_without"].astype(float)
    per = rows.groupby(["service_code", "provider_id"], sort=True).agg(
        participants=("observed", "size"), observed=("observed", "sum"), expected=("expected", "sum"), truth=("effect", "mean")
    )
    return [{"seed": seed, "service_code": s, "provider_id": p, **r} for (s, p), r in per.to_dict("index").items()]


def rated(table: pd.DataFrame, dispersion: str, rate_at: float) -> pd.DataFrame:
    """The rows with their ratings (risk-adjusted and naive) and truth label, per area and service."""
    from polku.providers.compare import rate_providers

    out = []
    for (_seed, service), part in table.groupby(["seed", "service_code"], sort=True):
        if len(part) < 2:
            continue
        median = part["truth"].median()
        part = part.set_index("provider_id")
        ratings = pd.DataFrame(rate_providers(str(service), part, dispersion=dispersion, rate_at=rate_at))
        ratings = ratings.set_index("provider_id")
        part["rating"] = ratings["rating"]
        part["naive_rating"] = ratings["naive_rating"]
        part["true_side"] = ["above" if t > median else "below" if t < median else "median" for t in part["truth"]]
        out.append(part.reset_index())
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def confusion(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """Counts of ratings by true side (above and below the service's median)."""
    table = pd.crosstab(rows["true_side"], rows[column]).reindex(index=["above", "below"], columns=list(RATINGS), fill_value=0)
    return table.astype(int)


def markdown(table: pd.DataFrame) -> str:
    """A confusion table as a Markdown table (docs/providers.md)."""
    head = "| true effect | " + " | ".join(table.columns) + " |"
    rule = "|---|" + "---:|" * len(table.columns)
    body = [f"| {side} median | " + " | ".join(str(v) for v in row) + " |" for side, row in zip(table.index, table.to_numpy())]
    return "\n".join([head, rule, *body])


def _print(rows: pd.DataFrame) -> None:
    for column, name in (("rating", "risk-adjusted (O/E)"), ("naive_rating", "naive (employed share)")):
        table = confusion(rows, column)
        low_above = table.loc["above", "low"] / max(table.loc["above"].sum(), 1)
        high_below = table.loc["below", "high"] / max(table.loc["below"].sum(), 1)
        print(f"\n{name}: ratings by true effect against the service's median")
        print(markdown(table))
        print(f"P(low | above median) = {100 * low_above:.1f} %, P(high | below median) = {100 * high_below:.1f} %", end="")
        print(" (target < 5 % each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=50)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--first-seed", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--dispersion", default="additive", choices=["none", "multiplicative", "additive"])
    parser.add_argument("--rate-at", type=float, default=0.998, choices=[0.95, 0.998])
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--summarise", type=Path, default=None, help="Only summarise an earlier --csv file.")
    args = parser.parse_args()
    if args.summarise:
        table = pd.read_csv(args.summarise)
    else:
        csv = args.csv or Path(tempfile.gettempdir()) / "polku_provider_ratings.csv"
        started, rows = time.perf_counter(), []
        seeds = range(args.first_seed, args.first_seed + args.replications)
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for done, found in enumerate(pool.map(replicate, seeds, [args.clients] * len(seeds)), 1):
                rows += found
                pd.DataFrame(rows).to_csv(csv, index=False)
                print(f"\r{done}/{len(seeds)} areas, {time.perf_counter() - started:,.0f} s", end="", file=sys.stderr)
        table = pd.DataFrame(rows)
        print(f"\n{args.replications} areas of {args.clients:,} clients, {time.perf_counter() - started:,.0f} s; rows in {csv}")
    result = rated(table, args.dispersion, args.rate_at)
    print(f"{len(result)} provider ratings in {result['seed'].nunique()} areas", end="")
    print(f" (dispersion {args.dispersion}, rated at {args.rate_at})")
    _print(result)


if __name__ == "__main__":
    main()
