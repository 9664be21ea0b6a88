"""How long the cohort build takes per service, and where the time goes.

Builds (or reuses) a synthetic area of `--clients` clients imported into a store under
`--out`, then times `build_cohort` for every service `--repeat` times and prints the median,
with the Ibis share: making the expressions and compiling them to SQL, which does not grow
with the store, against running them. Prints a SHA-256 of each cohort too, so two runs (two
engines, two versions) can be compared row for row.

    uv run --frozen python benchmarks/cohort.py [--clients 20000] [--seed 0] [--repeat 3] [--out DIR]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import statistics
import time
from pathlib import Path

import ibis

from polku.cohort.build import CohortSpec, analysis_rows, build_cohort, cohort_table, data_end, services_with_episodes
from polku.cohort.draw import has_native_sha256
from polku.identity import load_key
from polku.ingest import import_folder
from polku.store import Store, open_store
from polku.synth import generate


def _store(clients: int, seed: int, out: Path) -> Path:
    """The area's store, generated and imported once per (clients, seed)."""
    path = out / f"area-{clients}-{seed}" / "store" / "polku.duckdb"
    if not path.exists():
        generate(clients=clients, seed=seed, out_dir=path.parents[1] / "synthetic")
        with open_store(path) as store:
            import_folder(store, path.parents[1] / "synthetic", key=load_key(), allow_shrink=True)
    return path


def _compile_seconds(store: Store, code: str) -> float:
    """Making and compiling the cohort's Ibis expressions, without running them."""
    began = time.perf_counter()
    spec, as_of = CohortSpec(code), data_end(store)
    table = functools.cache(store.table)
    category = dict(store.table("service").select("service_code", "category").execute().values)[code]
    rows = analysis_rows(table, spec, category, as_of, native=has_native_sha256(store.ibis))
    ibis.to_sql(rows)
    ibis.to_sql(cohort_table(table, rows, spec, as_of))
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/polku-bench-cohort"))
    args = parser.parse_args()
    os.environ.setdefault("POLKU_PSEUDONYM_KEY", "5e" * 32)
    with open_store(_store(args.clients, args.seed, args.out), read_only=True) as store:
        total = 0.0
        for code in services_with_episodes(store):
            times, digest = [], ""
            for _ in range(args.repeat):
                began = time.perf_counter()
                frame = build_cohort(store, CohortSpec(code))
                times.append(time.perf_counter() - began)
                digest = hashlib.sha256(frame.to_csv(index=False, float_format="%.9f").encode()).hexdigest()[:16]
            median = statistics.median(times)
            total += median
            ibis_share = _compile_seconds(store, code)
            print(f"{code:8} {len(frame):7,} rows  {median:7.2f} s (Ibis expressions and SQL {ibis_share:.2f} s)  {digest}")
        print(f"{'all':8} {'':12}  {total:7.2f} s")


if __name__ == "__main__":
    main()
