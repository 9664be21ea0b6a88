"""Time the main job: `polku demo --no-serve` on the default 20,000-client area.

Target (issue 2): under 2 minutes on the project's 2-core machine. Prints the wall time of
each step (taken from the demo's own progress reports) and the total.

    uv run --frozen python benchmarks/demo.py [--clients 20000] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from polku.demo import run_demo

TARGET_SECONDS = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.pop("POLKU_PSEUDONYM_KEY", None)
    steps: dict[str, float] = {}
    started = time.perf_counter()

    def progress(step: str, fraction: float) -> None:
        name = step.split(":")[0].split(" ")[0] or step
        steps.setdefault(name, time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as folder:
        result = run_demo(Path(folder) / "demo", clients=args.clients, seed=args.seed, progress=progress)
        total = time.perf_counter() - started
    print(f"clients: {args.clients:,}  rows imported: {result.rows_accepted:,}  quarantined: {result.rows_quarantined:,}")
    print("step first reported at (s):")
    for name, at in steps.items():
        print(f"  {name:<24} {at:7.1f}")
    print(f"total: {total:.1f} s   target: < {TARGET_SECONDS:.0f} s   {'OK' if total < TARGET_SECONDS else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
