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
Issue 18's targets: P(low | above median) < 5 % and P(high | below median) < 5 %. Each area
is rated at once, as a run rates it: the overdispersion is the area's, from all its providers.

A second table gives every rule (overdispersion none, multiplicative or additive, rated at
95 % or 99.8 %) on the same rows: right ratings (above the median rated high, below rated
low), wrong ones each way, providers and (area, service) cells rated, and the share rated
when no provider differs: each area drawn again `--null-draws` times with every O Poisson
around its service's O/E times E.

    OMP_NUM_THREADS=1 uv run --frozen python benchmarks/provider_ratings.py [--replications 50]
        [--clients 20000] [--jobs 2] [--first-seed 2000] [--dispersion additive] [--rate-at 0.95]
        [--null-draws 10] [--csv FILE] [--summarise FILE]

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

import numpy as np
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
    """The rows of services with two or more providers, with their ratings (risk-adjusted and
    naive, each area rated at once as a run rates it) and truth label."""
    from polku.providers.compare import rate_providers

    out = []
    for seed, area in table.groupby("seed", sort=True):
        ratings = pd.DataFrame(rate_providers(area, dispersion=dispersion, rate_at=rate_at))
        ratings = ratings.set_index(["service_code", "provider_id"])[["rating", "naive_rating", "tau2"]]
        area = area.join(ratings, on=["service_code", "provider_id"])
        for _service, part in area.groupby("service_code", sort=True):
            if len(part) < 2:
                continue
            median = part["truth"].median()
            part = part.assign(true_side=["above" if t > median else "below" if t < median else "median" for t in part["truth"]])
            out.append(part.assign(seed=seed))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def null_draws(table: pd.DataFrame, draws: int, seed: int = 18) -> pd.DataFrame:
    """`draws` copies of every area in which no provider differs from its service: each O
    drawn again as Poisson(theta E), theta the service's O/E (the funnel's own model of chance;
    a sum of 0/1 outcomes varies less, so this counts at least the false ratings of chance)."""
    rng = np.random.default_rng(seed)
    by = table.groupby(["seed", "service_code"])
    theta = by["observed"].transform("sum") / by["expected"].transform("sum")
    copies = []
    for d in range(draws):
        copy = table.assign(observed=rng.poisson(theta * table["expected"]).astype(float), seed=table["seed"] * 1000 + d)
        copies.append(copy)
    return pd.concat(copies, ignore_index=True)


def rule_row(rows: pd.DataFrame, null: pd.DataFrame | None, column: str = "rating") -> dict[str, object]:
    """One rule's counts: right and wrong ratings by true side, providers and cells rated, and
    the share rated when no provider differs (none for the naive rate: there the providers'
    clients still differ)."""
    side, rating = rows["true_side"], rows[column]
    flagged, cells = rating != "moderate", ["seed", "service_code"]
    return {
        "above rated high": int(((side == "above") & (rating == "high")).sum()),
        "below rated low": int(((side == "below") & (rating == "low")).sum()),
        "above rated low": int(((side == "above") & (rating == "low")).sum()),
        "below rated high": int(((side == "below") & (rating == "high")).sum()),
        "rated": f"{int(flagged.sum())} of {len(rows)}",
        "cells rated": f"{rows[flagged].groupby(cells).ngroups} of {rows.groupby(cells).ngroups}",
        "rated under no difference": "–" if null is None else f"{100 * (null[column] != 'moderate').mean():.1f} %",
    }


def rules(table: pd.DataFrame, draws: int) -> pd.DataFrame:
    """Every rating rule (overdispersion x level) on the same rows, and the naive funnel under
    the default rule."""
    from polku.providers.compare import DISPERSION, RATE_AT

    null = null_draws(table, draws)
    out = {}
    for dispersion in ("additive", "multiplicative", "none"):
        for rate_at in (0.95, 0.998):
            name = f"{dispersion}, {100 * rate_at:g} %" + (" (default)" if (dispersion, rate_at) == (DISPERSION, RATE_AT) else "")
            rows, null_rows = rated(table, dispersion, rate_at), rated(null, dispersion, rate_at)
            out[name] = rule_row(rows, null_rows)
            if (dispersion, rate_at) == (DISPERSION, RATE_AT):
                out[f"{name}, naive (O/n)"] = rule_row(rows, None, "naive_rating")
    return pd.DataFrame.from_dict(out, orient="index")


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


def markdown_rules(table: pd.DataFrame) -> str:
    """The rules' table as a Markdown table (docs/providers.md)."""
    head = "| rule | " + " | ".join(table.columns) + " |"
    rule = "|---|" + "---:|" * len(table.columns)
    body = [f"| {name} | " + " | ".join(str(v) for v in row) + " |" for name, row in zip(table.index, table.to_numpy())]
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
    from polku.providers.compare import DISPERSION, RATE_AT

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=50)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--first-seed", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--dispersion", default=DISPERSION, choices=["none", "multiplicative", "additive"])
    parser.add_argument("--rate-at", type=float, default=RATE_AT, choices=[0.95, 0.998])
    parser.add_argument("--null-draws", type=int, default=10, help="Copies of each area with no provider differences.")
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
    print(f"\nEvery rule on the same rows; 'rated under no difference': {args.null_draws} Poisson redraws of each area")
    print(markdown_rules(rules(table, args.null_draws)))


if __name__ == "__main__":
    main()
