"""Import throughput against DuckDB's own CSV reader, measured in the same run.

Builds a 1,000,000-row `employment_spell.csv` in the synthetic area's format (identity
codes in the 900-999 test range; by default 250,000 people with four spells each on
average, `--persons 1000000` for one row per person; about 1 % of rows with a recording
mistake), imports it
with full validation and pseudonymisation into a fresh store, and times DuckDB's
`read_csv` of the same file into a table. Both are timed `--repeat` times, alternating, each
into a fresh store; prints every time, the medians, rows per second and the ratio of the
medians (target: the import reaches at least 50 % of the raw throughput). Alternating and
taking medians keeps one slow moment of a shared machine from deciding the ratio.

`--quote-all` writes every value in double quotes, as some exports do: every record is
then found by the record scan of `polku.ingest.lines` instead of the fast line count.

    uv run --frozen python benchmarks/ingest.py [--rows N] [--persons N] [--repeat N] [--quote-all] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from polku.identity import PseudonymKey, compose_hetus
from polku.ingest import import_file
from polku.store import open_store


def build_csv(path: Path, rows: int, persons: int, seed: int = 0, quote_all: bool = False) -> None:
    """Employment spells of `persons` people (test-range codes), ~1 % with a mistake."""
    rng = np.random.default_rng(seed)
    unique = rng.permutation(365 * 45 * 100)[:persons]  # (day of birth, individual number) pairs
    births = np.datetime64("1960-01-01") + unique // 100
    individual = 900 + unique % 100
    signs = np.where(births < np.datetime64("2000-01-01"), "-", "A")
    people = compose_hetus(births.astype("datetime64[D]"), individual, signs)
    hetus = people[rng.integers(0, persons, rows)] if persons < rows else people[:rows]
    start = np.datetime64("2020-01-01") + rng.integers(0, 1800, rows).astype("timedelta64[D]")
    end = start + rng.integers(10, 700, rows).astype("timedelta64[D]")
    frame = pd.DataFrame(
        {
            "employment_id": [f"E{i:08d}" for i in range(rows)],
            "hetu": hetus,
            "start_date": start.astype(str),
            "end_date": np.where(rng.random(rows) < 0.3, "", end.astype(str)),
            "weekly_hours": np.round(rng.uniform(5, 40, rows), 1),
            "monthly_wage": np.round(rng.uniform(800, 6000, rows), 2),
            "employer_sector": rng.choice(["private", "public", "third_sector"], rows),
            "subsidised": rng.choice(["true", "false"], rows),
            "source": rng.choice(["income_register", "case_record", "self_report"], rows),
        }
    )
    flawed = rng.random(rows) < 0.01
    frame.loc[flawed, "weekly_hours"] = 120.0
    frame.to_csv(path, index=False, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)


def time_raw(path: Path, folder: Path) -> float:
    (folder / "raw.duckdb").unlink(missing_ok=True)
    con = duckdb.connect(str(folder / "raw.duckdb"))
    started = time.perf_counter()
    con.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv('{path}')")
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def time_import(path: Path, folder: Path) -> tuple[float, int, int]:
    key = PseudonymKey(b"benchmark-key-not-secret-0123456789", 1)
    (folder / "polku.duckdb").unlink(missing_ok=True)
    with open_store(folder / "polku.duckdb") as store:
        started = time.perf_counter()
        report = import_file(store, "employment_spell", path, key=key)
        seconds = time.perf_counter() - started
        check_lines(store)
    return seconds, report.rows_accepted, report.rows_quarantined


def check_lines(store: object) -> None:
    """Row E{n} was written on line n + 2: a large file keeps every line number right."""
    wrong = store.con.execute(  # type: ignore[attr-defined]
        "SELECT count(*) FROM employment_spell WHERE _line <> CAST(substr(employment_id, 2) AS BIGINT) + 2"
    ).fetchall()[0][0]
    if wrong:
        raise SystemExit(f"{wrong} rows carry a wrong line number")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=250_000, help="distinct people (rows per person = rows / persons)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds of each (medians are compared)")
    parser.add_argument("--quote-all", action="store_true", help="every value in double quotes (the record scan's path)")
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the CSV and stores in")
    args = parser.parse_args()
    raws, imports = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "employment_spell.csv"
        build_csv(path, args.rows, min(args.persons, args.rows), quote_all=args.quote_all)
        size = path.stat().st_size / 1e6
        for _ in range(args.repeat):
            raws.append(time_raw(path, folder))
            seconds, accepted, quarantined = time_import(path, folder)
            imports.append(seconds)
    raw, imported = statistics.median(raws), statistics.median(imports)
    quoted = ", every value quoted" if args.quote_all else ""
    print(f"file: {args.rows:,} rows of {min(args.persons, args.rows):,} people{quoted}, {size:.0f} MB; {args.repeat} rounds")
    print(f"DuckDB read_csv into a table: {raw:6.2f} s  {args.rows / raw:>12,.0f} rows/s   (runs: {_seconds(raws)})")
    print(
        f"polku import (full):          {imported:6.2f} s  {args.rows / imported:>12,.0f} rows/s   (runs: {_seconds(imports)};"
        f" {accepted:,} accepted, {quarantined:,} quarantined)"
    )
    print(f"import throughput / raw throughput: {raw / imported:.1%} (target >= 50%)")


def _seconds(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
