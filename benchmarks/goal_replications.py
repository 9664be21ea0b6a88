"""Bias and interval coverage of the effects on reaching plan goals over many synthetic areas.

Each replication generates a fresh synthetic area (its own seed, the generator's default
true goal effects), imports it into a store exactly as a user would, and runs
`polku.change.goal_effects.service_goal_effects` for each service asked for: the effect on
the share of goals due within 6 and 12 months that were reached, and on their GAS T-score.
The generator knows each goal's level with and without the service on the same noise
(`ground_truth_goals.csv`), so the truth of each row is the mean individual effect on the
*same* participants the row was estimated on (those with a goal due in the window); bias
is the mean of estimate - truth over replications, coverage the share of 95 % intervals
holding the truth (target 92-98 %).

    OMP_NUM_THREADS=1 uv run --frozen python benchmarks/goal_replications.py [--replications 20]
        [--clients 2000] [--services COACH,REHAB] [--jobs 2] [--csv FILE] [--summarise FILE]
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from impact_replications import KEY, coverage_line, service_replications

TRUTH = {"reached": "reached", "gas_t": "t"}
"""The truth file's column stem of each outcome."""


def _truth(rows: pd.DataFrame, truth: pd.DataFrame, outcome: str, months: int) -> float:
    """Mean with - without of the analysed participants (those with a goal due)."""
    part = rows.loc[rows["treated"].astype(bool) & rows["measured"], ["episode_id"]]
    mine = truth[truth["months"] == months]
    joined = part.merge(mine, on="episode_id", how="left", validate="one_to_one")
    stem = TRUTH[outcome]
    if joined[f"{stem}_with"].isna().any():
        raise RuntimeError("a participant with a goal due has no goal truth; the generator and the store disagree")
    return float((joined[f"{stem}_with"] - joined[f"{stem}_without"]).mean())


def replicate(seed: int, clients: int, services: tuple[str, ...]) -> list[dict]:
    """One synthetic area: each service's all-clients rows against the truth."""
    from polku.change.goal_effects import plan_goals, service_goal_effects
    from polku.cohort.build import CohortSpec, build_cohort
    from polku.identity import PseudonymKey
    from polku.ingest import import_folder
    from polku.store import open_store
    from polku.synth import generate

    out: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "area"
        generate(clients=clients, seed=seed, out_dir=data)
        truth = pd.read_csv(data / "ground_truth_goals.csv")
        with open_store(Path(tmp) / "store.duckdb") as store:
            import_folder(store, data, key=PseudonymKey(KEY, 1))
            goals = plan_goals(store)
            for service in sorted(set(truth["service_code"]) & set(services or truth["service_code"])):
                cohort = build_cohort(store, CohortSpec(service, seed=seed))
                table, frames = service_goal_effects(cohort, goals, seed=seed)
                for row in table[table["grouping"] == "all"].itertuples():
                    out.append(
                        {
                            "seed": seed,
                            "service": service,
                            "outcome": row.outcome,
                            "months": row.months,
                            "participants": row.measured_participants,
                            "comparison": row.measured_comparison,
                            "truth": _truth(frames[row.months], truth, row.outcome, row.months),
                            "estimate": row.estimate,
                            "ci_low": row.ci_low,
                            "ci_high": row.ci_high,
                        }
                    )
    return out


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per service, outcome and window: sizes, truth, bias with its Monte Carlo SE, coverage."""
    table = table.dropna(subset=["estimate"]).copy()
    table["error"] = table["estimate"] - table["truth"]
    table["covered"] = (table["ci_low"] <= table["truth"]) & (table["truth"] <= table["ci_high"])
    grouped = table.groupby(["service", "outcome", "months"], sort=True)
    return pd.DataFrame(
        {
            "reps": grouped.size(),
            "participants": grouped["participants"].mean().round(0),
            "comparison": grouped["comparison"].mean().round(0),
            "truth": grouped["truth"].mean(),
            "bias": grouped["error"].mean(),
            "bias_se": grouped["error"].std() / np.sqrt(grouped.size()),
            "coverage": grouped["covered"].mean(),
        }
    ).reset_index()


def _show(table: pd.DataFrame) -> None:
    summary = summarise(table)
    pd.set_option("display.width", 200)
    shown = summary.copy()
    for c in ("truth", "bias", "bias_se"):
        shown[c] = shown[c].map(lambda v: f"{v:+.3f}")
    shown["coverage"] = (100 * shown["coverage"]).map(lambda v: f"{v:.0f} %")
    print("(reached: share of due goals, 0-1; gas_t: T points; bias = mean(estimate - truth on the same participants))")
    print(shown.to_string(index=False))
    print("\n" + coverage_line(table))


def main() -> None:
    service_replications(__doc__ or "", replicate, _show, replications=20, first_seed=4000, services="COACH,REHAB", name="goal")


if __name__ == "__main__":
    main()
