"""Diagnosis of the store estimates' intervals: beside the interval `polku estimate` gives
(influence function, clustered by person), the two-way clustered standard errors by person
and by the reference date's calendar month or ISO week (Cameron, Gelbach and Miller 2011).

The estimates are those of `benchmarks/impact_replications.py` for the same seed, bit for
bit (the script checks nothing else is changed: the folds of cross-fitting still go by
person). To read each estimate's influence function the script wraps, in this process only,
`polku.pipeline.by_service._fit` (rows are passed as their own clusters),
`polku.impact.weighting.influence_se` (which records the influence function and returns the
person-clustered SE) and `polku.impact.weighting.folds` (which maps the rows back to
persons). It is a measurement, not a method Polku uses; docs/methods.md section 7 has what
it found.

    OMP_NUM_THREADS=1 uv run --frozen python benchmarks/impact_interval_diagnosis.py \\
        --replications 100 --first-seed 8000 --csv rows.csv
    uv run --frozen python benchmarks/impact_interval_diagnosis.py --summarise rows.csv

The two-way variance is V_person + V_period - V_(person and period); when that is below
V_person (it can be, being a difference) the person-clustered variance is kept.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impact_replications import KEY, TARGET_BIAS, _truth

SERVICES = ("REHAB", "TRAIN", "WTRIAL")
PERIODS = ("month", "week")
Z = 1.959964


def _codes(labels: np.ndarray) -> np.ndarray:
    return np.unique(labels, return_inverse=True)[1].ravel()


def two_way_se(influence: np.ndarray, person: np.ndarray, period: np.ndarray) -> float:
    """sqrt(V_person + V_period - V_both), at least the person-clustered SE (each V the
    cluster-robust variance of `polku.impact.design.influence_se`). By hand: influence
    (1, -1, 2, 0), persons (a, a, b, c), periods (m1, m2, m1, m2): V_person = 3/2 * 4 / 16,
    V_period = 2 * 10 / 16, V_both = 4/3 * 6 / 16, so the SE is sqrt(18) / 4 = 1.0607."""
    from polku.impact.design import influence_se

    one = influence_se(influence, _codes(person))
    both = influence_se(influence, _codes(np.char.add(np.char.add(person, "|"), period)))
    variance = one**2 + influence_se(influence, _codes(period)) ** 2 - both**2
    return float(np.sqrt(max(variance, one**2)))


def _instrument() -> dict[str, Any]:
    """Wrap the three functions (see the module docstring); returns the shared state."""
    import polku.impact.weighting as weighting
    import polku.pipeline.by_service as by_service
    from polku.impact.design import influence_se

    state: dict[str, Any] = {"calls": []}
    folds, fit = weighting.folds, by_service._fit

    def by_person(t: np.ndarray, n_folds: int, seed: int, clusters: np.ndarray | None = None) -> Any:
        return folds(t, n_folds, seed, None if clusters is None else _codes(state["person"][clusters]))

    def recorded(influence: np.ndarray, clusters: np.ndarray | None = None) -> float:
        assert clusters is not None
        person = state["person"][clusters]
        extra = {"se_person": influence_se(influence, _codes(person))}
        for period in PERIODS:
            extra[f"se_person_{period}"] = two_way_se(influence, person, state[period][clusters])
        state["recorded"] = extra
        return extra["se_person"]

    def fitted(method: str, design: Any, keep: Any, weights: np.ndarray, people: np.ndarray, settings: dict) -> Any:
        ref = pd.to_datetime(state["frame"]["ref_date"]).iloc[np.arange(len(people))[keep]]
        iso = ref.dt.isocalendar()
        state["person"] = people[keep].astype(str)
        state["month"] = (ref.dt.year * 100 + ref.dt.month).astype(str).to_numpy().astype(str)
        state["week"] = (iso.year.astype(int) * 100 + iso.week.astype(int)).astype(str).to_numpy().astype(str)
        state["recorded"] = {}
        result = fit(method, design, keep, weights, np.arange(len(people)), settings)
        state["calls"].append(state["recorded"])
        return result

    augmented = by_service.augmented_outcome

    def remembered(frame: pd.DataFrame, *arguments: Any, **options: Any) -> np.ndarray:
        state["frame"] = frame
        return augmented(frame, *arguments, **options)

    weighting.folds, weighting.influence_se = by_person, recorded
    by_service._fit, by_service.augmented_outcome = fitted, remembered
    return state


def replicate(seed: int, clients: int, state: dict[str, Any]) -> list[dict]:
    from polku.identity import PseudonymKey
    from polku.ingest import import_folder
    from polku.pipeline.by_service import service_estimates
    from polku.store import open_store
    from polku.synth import generate

    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "area"
        generate(clients=clients, seed=seed, out_dir=data)
        keep = ["episode_id", "service_code", "employed_12m_with", "employed_12m_without"]
        episodes = pd.read_csv(data / "ground_truth_episodes.csv", usecols=keep)
        with open_store(Path(tmp) / "store.duckdb") as store:
            import_folder(store, data, key=PseudonymKey(KEY, 1))
            for service in SERVICES:
                state["calls"] = []
                estimates, frame = service_estimates(store, service, seed=seed, by_provider=False)
                part = _truth(frame, episodes, "employed_12m")
                for row, extra in zip(estimates, state["calls"], strict=True):
                    chosen = part if row.client_group is None else part[part["client_group"] == row.client_group]
                    r = row.result
                    rows.append(
                        {
                            "seed": seed,
                            "service": service,
                            "group": row.client_group or "all",
                            "participants": len(chosen),
                            "truth": chosen["effect"].mean() if len(chosen) else np.nan,
                            "estimate": r.estimate,
                            "ci_low": r.ci_low,
                            "ci_high": r.ci_high,
                            "se": r.std_error,
                            **extra,
                        }
                    )
    return rows


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per cell: bias, RMSE, the root mean square of each SE and the coverage it gives."""
    table = table.dropna(subset=["estimate"]).copy()
    table["error"] = table["estimate"] - table["truth"]
    columns = ["se_person"] + [f"se_person_{period}" for period in PERIODS]
    grouped = table.groupby(["service", "group"], sort=False)
    out = pd.DataFrame(
        {
            "areas": grouped.size(),
            "participants": grouped["participants"].mean().round(0),
            "bias": 100 * grouped["error"].mean(),
            "rmse": 100 * np.sqrt(grouped["error"].apply(lambda e: (e**2).mean())),
        }
    )
    for column in columns:
        out[f"rms_{column}"] = 100 * np.sqrt(grouped[column].apply(lambda s: (s**2).mean()))
        table[f"covered_{column}"] = table["error"].abs() <= Z * table[column]
        out[f"coverage_{column}"] = 100 * table.groupby(["service", "group"], sort=False)[f"covered_{column}"].mean()
    print("overall coverage: " + ", ".join(f"{c} {100 * table[f'covered_{c}'].mean():.1f} %" for c in columns))
    print(f"({len(table)} estimates, {table['seed'].nunique()} areas; |bias| target {100 * TARGET_BIAS} pp)")
    return out.round(2).reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--first-seed", type=int, default=8000)
    parser.add_argument("--csv", type=Path, default=Path(tempfile.gettempdir()) / "polku_interval_diagnosis.csv")
    parser.add_argument("--summarise", type=Path, default=None, help="Only summarise an earlier --csv file.")
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    if args.summarise:
        print(summarise(pd.read_csv(args.summarise)).to_string(index=False))
        return
    state = _instrument()
    started = time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.replications):
        rows = pd.DataFrame(replicate(seed, args.clients, state))
        rows.to_csv(args.csv, mode="a", header=not args.csv.exists(), index=False)
        print(f"\r{seed}: {time.perf_counter() - started:,.0f} s", end="", file=sys.stderr)
    print(file=sys.stderr)
    print(summarise(pd.read_csv(args.csv)).to_string(index=False))


if __name__ == "__main__":
    main()
