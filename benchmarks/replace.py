"""What a replacement costs beyond a first import: the move to history and the change count.

Imports a `employment_spell.csv` of `--rows` rows (built as in `benchmarks/ingest.py`) into a
fresh store, then times, `--repeat` times inside a transaction that is rolled back: the
plain `DELETE` of the source's rows (what a replacement did before history), the move of
those rows into `history_employment_spell`, and the count of rows added, removed and
changed against a second copy of them. Prints each time beside the import's own.

    uv run --frozen python benchmarks/replace.py [--rows N] [--repeat N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ingest import build_csv
from polku.identity import PseudonymKey
from polku.ingest import history, import_file
from polku.schema.tables import TABLES
from polku.store import Store, open_store

TABLE = "employment_spell"


def _seconds(step: Callable[[], object]) -> float:
    began = time.perf_counter()
    step()
    return time.perf_counter() - began


def _round(store: Store) -> str:
    """One measurement of each step, every change undone."""
    con = store.con
    con.execute("BEGIN")
    delete = _seconds(lambda: con.execute(f"DELETE FROM {TABLE} WHERE _source = 'e'"))
    con.execute("ROLLBACK")
    con.execute("BEGIN")
    push = _seconds(lambda: history.push(con, TABLE, "e", 1, 2, dt.datetime(2026, 1, 1)))
    con.execute(f"INSERT INTO {TABLE} SELECT * REPLACE (2 AS _import_id) FROM history_{TABLE}")
    count = _seconds(lambda: history.changes(con, TABLES[TABLE], f"history_{TABLE}", TABLE, "e", (1, 2)))
    con.execute("ROLLBACK")
    return f"plain DELETE {delete:.2f} s, move to history {push:.2f} s, change count {count:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    key = PseudonymKey(hashlib.sha256(b"benchmark key, not secret").digest(), 1)
    with tempfile.TemporaryDirectory(prefix="polku-replace-") as folder:
        path = Path(folder) / f"{TABLE}.csv"
        build_csv(path, args.rows, max(args.rows // 4, 1))
        with open_store(Path(folder) / "store.duckdb") as store:
            began = time.perf_counter()
            import_file(store, TABLE, path, key=key, source="e")
            print(f"import of {args.rows:,} rows: {time.perf_counter() - began:.2f} s")
            for _ in range(args.repeat):
                print(_round(store), flush=True)


if __name__ == "__main__":
    main()
