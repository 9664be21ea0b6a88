"""What each new read snapshot of an import costs the web server: the processor time to work out
the person-level values of every scoped demo user again (issue 16, load during an import).

In one process, without HTTP: a copy of a demo store, then `polku import` of every file of the
area again (each a new export, its lines in reverse order, as in `benchmarks/web.py`); after
each file, on the snapshot it published, the values the first requests of each user would
work out: the data's date, and for the case worker, team lead, provider and analyst their
desk (client ids, client list, chances, rows), and for the team lead and the analyst the
team's caseload. Reported per imported table: processor and wall time, and the total; and the
process's peak resident memory after the first snapshot and after the import.
`--source DIR` runs another Polku's source tree the same way (`git archive <commit> src | tar
-x -C DIR`), to compare in the same run.

    uv run --frozen python benchmarks/web_snapshots.py --store /tmp/wi-demo/store/polku.duckdb [--source /tmp/ref]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROLES = ("caseworker", "teamlead", "provider", "analyst")
HERE = Path(__file__).resolve().parent


def measure(store: Path) -> None:
    """In the child: after each import, the values worked out on the new snapshot (prints JSON lines)."""
    sys.path.insert(0, str(HERE))
    import web as bench
    from polku.store import snapshots
    from polku.store.kept import Generation
    from polku.web import desk, desk_views, team
    from polku.web.access import Scope
    from polku.web.accounts import Accounts, path_for

    try:
        from polku.web.data import data_date
    except ImportError:  # an older Polku
        from polku.reports.queries import extraction_date as data_date

    work = Path(tempfile.mkdtemp(prefix="polku-web-snapshots-"))
    area = bench.demo_area(work / "area", 0, store)
    accounts = Accounts(path_for(area.store))
    users = {role: accounts.user(role) for role in ROLES}
    key = ["--key-file", str(area.key)] if area.key else []

    def values() -> None:
        generation = Generation(snapshots.latest(area.store))
        try:
            store = generation.store()
            as_of = data_date(store)
            for role, user in users.items():
                scope = Scope(user, store)
                chances = desk.Chances(area.store)
                run = chances.run.run_id if chances.run is not None else None
                rows = lambda scope=scope, chances=chances: desk_views._desk_rows(scope, as_of, chances)  # noqa: E731
                scope.memo(("desk", as_of, run), rows)
                if role in ("teamlead", "analyst"):
                    team.caseload_frame(scope, as_of)
        finally:
            if hasattr(generation, "close"):
                generation.close()

    try:
        values()  # the first snapshot: everything compiled and worked out once, not counted
        print(json.dumps({"rss_mb_before": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
        for table, path in bench.reexport(area.data_dir, work / "second"):
            command = bench.polku("import", table, str(path), "--store", str(area.store), *key)
            subprocess.run(command, capture_output=True, check=False)
            cpu, wall = time.process_time(), time.perf_counter()
            values()
            cpu_ms, wall_ms = 1000 * (time.process_time() - cpu), 1000 * (time.perf_counter() - wall)
            print(json.dumps({"table": table, "cpu_ms": cpu_ms, "wall_ms": wall_ms}), flush=True)
        print(json.dumps({"rss_mb_after": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(store: Path, source: Path | None) -> list[dict[str, float]]:
    env = dict(os.environ) | ({"PYTHONPATH": str(source / "src")} if source is not None else {})
    out = subprocess.run(
        [sys.executable, __file__, "--store", str(store), "--child"], env=env, capture_output=True, text=True, check=True
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def memory(rows: list[dict[str, float]]) -> str:
    """The child's peak resident memory after the first snapshot and after the import."""
    found = {k: v for row in rows for k, v in row.items() if k.startswith("rss_")}
    return f"{found.get('rss_mb_before', float('nan')):.0f} -> {found.get('rss_mb_after', float('nan')):.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a demo store (copied, never changed)")
    parser.add_argument("--source", type=Path, default=None, help="another Polku's source tree, measured after this one")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.store)
        return
    runs = {"this": run(args.store, None)} | ({"reference": run(args.store, args.source)} if args.source else {})
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(
        "peak resident memory, after the first snapshot -> after the import: "
        + "; ".join(f"{n} {memory(r)}" for n, r in runs.items())
    )
    runs = {name: [row for row in rows if "table" in row] for name, rows in runs.items()}
    print(f"{'imported table':<20}" + "".join(f"{name + ' cpu ms':>18}{name + ' wall ms':>19}" for name in runs))
    for i, row in enumerate(runs["this"]):
        cells = "".join(f"{r[i]['cpu_ms']:>18.0f}{r[i]['wall_ms']:>19.0f}" for r in runs.values())
        print(f"{row['table']:<20}{cells}")
    totals = "".join(f"{sum(x['cpu_ms'] for x in r):>18.0f}{sum(x['wall_ms'] for x in r):>19.0f}" for r in runs.values())
    print(f"{'total':<20}{totals}")


if __name__ == "__main__":
    main()
