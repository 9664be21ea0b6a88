"""What the effects on change cost on one synthetic area, and how much of it the person bootstrap takes.

Generates one area, imports it, runs `polku.change.effects.store_effects` (every service,
item, window and client group, as `polku analyse` does) and times the calls of the
bootstrap interval (`polku.change.intervals.bootstrap_interval`) inside it.

    OMP_NUM_THREADS=1 uv run --frozen python benchmarks/change_cost.py [--clients 20000] [--seed 7]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import polku.change.effects as effects
from impact_replications import KEY
from polku.identity import PseudonymKey
from polku.ingest import import_folder
from polku.store import open_store
from polku.synth import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    spent = {"calls": 0, "seconds": 0.0}
    timed_function = effects.bootstrap_interval

    def timed(*arguments: Any, **settings: Any) -> Any:
        started = time.perf_counter()
        try:
            return timed_function(*arguments, **settings)
        finally:
            spent["calls"] += 1
            spent["seconds"] += time.perf_counter() - started

    effects.bootstrap_interval = timed  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        generate(clients=args.clients, seed=args.seed, out_dir=Path(tmp) / "area")
        with open_store(Path(tmp) / "polku.duckdb") as store:
            import_folder(store, Path(tmp) / "area", key=PseudonymKey(KEY, 1))
            started = time.perf_counter()
            table = effects.store_effects(store, seed=args.seed)
            total = time.perf_counter() - started
    estimated = table[table["estimate"].notna()]
    kinds = estimated["interval"].value_counts().to_dict()
    print(
        f"{args.clients:,} clients, seed {args.seed}: store_effects {total:,.0f} s; {len(table)} cells, "
        f"{len(estimated)} estimated, intervals {kinds}; bootstrap {spent['calls']} calls, {spent['seconds']:,.0f} s"
    )


if __name__ == "__main__":
    main()
