"""Time the main job: `polku demo --no-serve` on the default 20,000-client area, step by step.

Targets (issues 2 and 15): the whole demo under 2 minutes on the project's 2-core machine,
and the report rendered from a stored run under 5 s. Prints each step's wall time (the
demo's own timings: generate, import, analyse, report), the analysis time and the
report-from-run time against their targets (in the demo's process, again, and as the
`polku report` command in a process of its own), and the cost of a read snapshot on the demo's
store: its size and the time to publish one more (checkpoint, copy, flush, rename).

    uv run --frozen python benchmarks/demo.py [--clients 20000] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from polku.demo import DemoResult, run_demo
from polku.runs.report import run_report
from polku.store import open_store

DEMO_TARGET = 120.0
REPORT_TARGET = 5.0


def _verdict(seconds: float, target: float) -> str:
    return f"{seconds:7.1f} s  target < {target:.0f} s  ({seconds / target:.2f} of it)  {'OK' if seconds < target else 'OVER'}"


def _snapshot_cost(result: DemoResult) -> tuple[float, float]:
    """Seconds to publish one more read snapshot of the demo's store, and its size in MB."""
    with open_store(result.store_path) as store:
        started = time.perf_counter()
        snapshot = store.publish_snapshot()
        seconds = time.perf_counter() - started
    return seconds, snapshot.stat().st_size / 1e6


def _report_command(result: DemoResult, out: Path) -> float:
    """Wall seconds of `polku report --run ID` as its own process, as a user meets it:
    interpreter start, imports, reading the run, rendering, writing."""
    command = [sys.executable, "-m", "polku", "report", "--store", str(result.store_path), "--run", result.run_id]
    started = time.perf_counter()
    subprocess.run([*command, "--out", str(out)], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.pop("POLKU_PSEUDONYM_KEY", None)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = run_demo(Path(folder) / "demo", clients=args.clients, seed=args.seed)
        total = time.perf_counter() - started
        again = time.perf_counter()
        run_report(result.store_path, Path(folder) / "again.html", run=result.run_id)
        report_again = time.perf_counter() - again
        command_seconds = _report_command(result, Path(folder) / "command.html")
        snapshot_seconds, snapshot_mb = _snapshot_cost(result)
        store_mb = result.store_path.stat().st_size / 1e6
    print(f"clients: {args.clients:,}  rows imported: {result.rows_accepted:,}  quarantined: {result.rows_quarantined:,}")
    print(f"run: {result.run_id}")
    for step, seconds in result.seconds.items():
        print(f"  {step:<10} {seconds:7.1f} s")
    print(f"demo total       {_verdict(total, DEMO_TARGET)}")
    print(f"analysis         {result.seconds['analyse']:7.1f} s")
    print(f"report from run  {_verdict(result.seconds['report'], REPORT_TARGET)}")
    print(f"  rendered again {_verdict(report_again, REPORT_TARGET)}")
    print(f"  polku report   {_verdict(command_seconds, REPORT_TARGET)}  (its own process)")
    print(f"read snapshot    {snapshot_seconds:7.2f} s to publish, {snapshot_mb:.1f} MB (store {store_mb:.1f} MB)")


if __name__ == "__main__":
    main()
