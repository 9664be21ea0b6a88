"""Speed of the fiscal rules: a million person-years at once, beside a per-person loop.

The vectorised path is what `polku fiscal`, `polku.fiscal.simulate` and the cost-benefit
analysis use: every rule runs once over all people. The reference is a plain Python loop
calling the same rules one person at a time (as a spreadsheet-like calculator would), timed
on a sample and scaled to the same number of people; both give the same amounts, which
the script checks. Target (issue 4): 1,000,000 person-years in under 1 s here.

    uv run --frozen python benchmarks/fiscal.py [--people 1000000] [--loop-sample 2000] [--year 2025]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from polku.fiscal.legislation import legislation
from polku.fiscal.person_year import OUTPUT, calculate, evaluate, inputs


def people(n: int, seed: int = 0) -> pd.DataFrame:
    """Job seekers and workers: wages, benefit types and days, children, municipal rates."""
    rng = np.random.default_rng(seed)
    types = rng.choice(["none", "basic", "labour_market_subsidy", "earnings_related"], n, p=[0.3, 0.1, 0.3, 0.3])
    days = np.where(types == "none", 0, rng.integers(20, 260, n))
    return pd.DataFrame(
        {
            "person_id": np.arange(n).astype(str),
            "age": rng.integers(18, 68, n),
            "annual_wage_income": np.round(np.where(rng.random(n) < 0.2, 0, rng.lognormal(10.2, 0.6, n)), 2),
            "unemployment_benefit_days": days,
            "unemployment_benefit_type": types,
            "earnings_related_daily_wage_basis": np.where(types == "earnings_related", rng.uniform(60, 250, n).round(2), 0.0),
            "municipal_tax_rate": rng.uniform(4.7, 10.9, n).round(2),
            "children": rng.poisson(0.6, n),
            "benefit_days_used_before": rng.integers(0, 300, n),
        }
    )


def per_person_loop(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """The same rules, one person at a time."""
    tree = legislation()
    columns = inputs(frame, year, tree)
    rows = []
    for i in range(len(frame)):
        person = evaluate({k: v[i : i + 1] for k, v in columns.items()}, year, tree)
        rows.append({name: float(person[name][0]) for name in OUTPUT})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--loop-sample", type=int, default=2_000)
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args()
    frame = people(args.people)
    calculate(frame.iloc[:1000], args.year)  # load the parameter tree once, as a running service has it
    started = time.perf_counter()
    result = calculate(frame, args.year)
    vectorised = time.perf_counter() - started
    sample = frame.iloc[: args.loop_sample].reset_index(drop=True)
    started = time.perf_counter()
    looped = per_person_loop(sample, args.year)
    loop = (time.perf_counter() - started) / len(sample) * args.people
    difference = np.abs(looped[list(OUTPUT)].to_numpy() - result[list(OUTPUT)].iloc[: len(sample)].to_numpy()).max()
    print(f"year {args.year}, {args.people:,} person-years")
    print(f"  vectorised rules: {vectorised:8.2f} s  ({args.people / vectorised:,.0f} person-years/s; target < 1 s)")
    print(f"  per-person loop:  {loop:8.1f} s  (timed on {len(sample):,} people and scaled)")
    print(f"  ratio: the vectorised rules are {loop / vectorised:,.0f} times faster; largest difference {difference:.2e} EUR")
    print(
        f"  mean net income {result['net_income'].mean():,.0f} EUR; mean state income tax "
        f"{result['state_income_tax'].mean():,.0f} EUR"
    )
    cba_monte_carlo()


def cba_monte_carlo() -> None:
    """The cost-benefit Monte Carlo (issue 4: at least 10,000 draws in under 2 s)."""
    from polku.cba import Assumptions, Effect, FiscalGain, monte_carlo

    gain = FiscalGain(15_000.0, 4_400.0, 800.0, 200.0)
    for horizon in (1, 5):
        started = time.perf_counter()
        result = monte_carlo(62, Effect(16.0, 8.0, 24.0), gain, 94_000.0, Assumptions(horizon_years=horizon), draws=10_000)
        took = time.perf_counter() - started
        print(
            f"cost-benefit Monte Carlo, 10,000 draws, {horizon}-year horizon: {took * 1000:.1f} ms "
            f"(target < 2 s); P(benefit > cost) = {result.probability_benefit_exceeds_cost:.3f}"
        )


if __name__ == "__main__":
    main()
