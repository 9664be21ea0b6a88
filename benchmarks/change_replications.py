"""Bias and interval coverage of the effects on measured change over many synthetic areas.

Each replication generates a fresh synthetic area (its own seed), imports it into a store
exactly as a user would, and runs `polku.change.effects.service_effects` for each service
asked for: the effect on every item's change 6 and 12 months after the start, weighted for
the chance of being measured (and, beside it, the measured-only estimate without weights).
The generator knows each participant's level with and without the service on the same
noise, answered or not (`ground_truth_change.csv`), so the truth of each row is the mean
individual effect on the *same* participants the row was estimated on (every participant
due for follow-up with a baseline measurement, measured later or not); bias is the mean of
estimate - truth over replications, coverage the share of 95 % intervals holding the truth.

Issue 17's targets: |bias| < 0.05 scale points per item and service, coverage 92-98 %.

    OMP_NUM_THREADS=1 uv run --frozen python benchmarks/change_replications.py [--replications 50]
        [--clients 2000] [--services COACH,REHAB,TRAIN] [--jobs 2] [--csv FILE] [--summarise FILE]

Per-replication rows go to `--csv` (default: a file in the temporary folder, printed).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from impact_replications import KEY, coverage_line, service_replications

TARGET_BIAS = 0.05


def _truth(rows: pd.DataFrame, truth: pd.DataFrame, item: str, months: int) -> float:
    """Mean with - without change of the analysed participants (measured or not)."""
    part = rows.loc[rows["treated"].astype(bool), ["episode_id"]]
    mine = truth[(truth["item"] == item) & (truth["months"] == months)]
    joined = part.merge(mine, on="episode_id", how="left", validate="one_to_one")
    if joined["change_with"].isna().any():
        raise RuntimeError("a participant has no ground-truth change; the generator and the store disagree")
    return float((joined["change_with"] - joined["change_without"]).mean())


def replicate(seed: int, clients: int, services: tuple[str, ...]) -> list[dict]:
    """One synthetic area: each service's all-clients rows against the truth."""
    from polku.change.effects import change_cohort, measurements, service_effects, shipped_scales
    from polku.identity import PseudonymKey
    from polku.ingest import import_folder
    from polku.store import open_store
    from polku.synth import generate

    out: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "area"
        generate(clients=clients, seed=seed, out_dir=data)
        truth = pd.read_csv(data / "ground_truth_change.csv")
        with open_store(Path(tmp) / "store.duckdb") as store:
            import_folder(store, data, key=PseudonymKey(KEY, 1))
            values = measurements(store)
            for service in sorted(set(truth["service_code"]) & set(services or truth["service_code"])):
                table, frames = service_effects(
                    change_cohort(store, service, seed=seed), service, shipped_scales(), values, seed=seed
                )
                for row in table[table["client_group"] == "all"].itertuples():
                    rows = frames[(row.item, row.months)]
                    out.append(
                        {
                            "seed": seed,
                            "service": service,
                            "item": row.item,
                            "months": row.months,
                            "participants": row.participants,
                            "measured": row.measured_participants,
                            "comparison": row.measured_comparison,
                            "truth": _truth(rows, truth, row.item, row.months),
                            "estimate": row.estimate,
                            "ci_low": row.ci_low,
                            "ci_high": row.ci_high,
                            "unweighted": row.estimate_unweighted,
                            "interval": row.interval,
                            "effective_comparison": row.effective_comparison,
                        }
                    )
    return out


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per service, item and window: sizes, truth, bias with its Monte Carlo SE, coverage."""
    table = table.dropna(subset=["estimate"]).copy()
    table["error"] = table["estimate"] - table["truth"]
    table["unweighted_error"] = table["unweighted"] - table["truth"]
    table["covered"] = (table["ci_low"] <= table["truth"]) & (table["truth"] <= table["ci_high"])
    grouped = table.groupby(["service", "item", "months"], sort=True)
    out = pd.DataFrame(
        {
            "reps": grouped.size(),
            "participants": grouped["participants"].mean().round(0),
            "measured": grouped["measured"].mean().round(0),
            "comparison": grouped["comparison"].mean().round(0),
            "truth": grouped["truth"].mean(),
            "bias": grouped["error"].mean(),
            "bias_se": grouped["error"].std() / np.sqrt(grouped.size()),
            "coverage": grouped["covered"].mean(),
            "unweighted_bias": grouped["unweighted_error"].mean(),
        }
    )
    out["target"] = np.where(out["bias"].abs() < TARGET_BIAS, "met", "MISSED")
    return out.reset_index()


def by_interval(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage by the method that gave the interval (`polku.change.effects.interval_figures`),
    with the median effective comparison size (Kish) of its rows."""
    table = table.dropna(subset=["estimate"]).copy()
    table["covered"] = (table["ci_low"] <= table["truth"]) & (table["truth"] <= table["ci_high"])
    grouped = table.groupby("interval", sort=True)
    out = pd.DataFrame(
        {
            "intervals": grouped.size(),
            "coverage": grouped["covered"].mean().map(lambda v: f"{100 * v:.1f} %"),
            "median_width": (table["ci_high"] - table["ci_low"]).groupby(table["interval"]).median().round(3),
            "median_effective_comparison": grouped["effective_comparison"].median().round(1),
        }
    )
    return out.reset_index()


def _show(table: pd.DataFrame) -> None:
    summary = summarise(table)
    pd.set_option("display.width", 200)
    shown = summary.copy()
    for c in ("truth", "bias", "bias_se", "unweighted_bias"):
        shown[c] = shown[c].map(lambda v: f"{v:+.3f}")
    shown["coverage"] = (100 * shown["coverage"]).map(lambda v: f"{v:.0f} %")
    print("(scale points; bias = mean(estimate - truth on the same participants))")
    print(shown.to_string(index=False))
    print("\n" + coverage_line(table))
    if "interval" in table.columns:
        print(by_interval(table).to_string(index=False))
    print(
        f"|bias| < {TARGET_BIAS} in {(summary['bias'].abs() < TARGET_BIAS).sum()} of {len(summary)} rows; "
        f"largest |bias| {summary['bias'].abs().max():.3f}; mean |bias| {summary['bias'].abs().mean():.3f}, "
        f"without the measurement weights {summary['unweighted_bias'].abs().mean():.3f}"
    )


def main() -> None:
    service_replications(
        __doc__ or "", replicate, _show, replications=50, first_seed=3000, services="COACH,REHAB,TRAIN", name="change"
    )


if __name__ == "__main__":
    main()
