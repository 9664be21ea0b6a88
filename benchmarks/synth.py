"""Time `polku.synth.generate` and report its peak memory for a given number of clients.

Targets (issue 2): 20,000 clients well under 30 s; 1,000,000 clients within the memory of
the project's 2-core 24 GiB machine. Prints the wall time of each step (from the
generator's own progress reports), the total, the peak resident set size and the bytes
written.

    uv run --frozen python benchmarks/synth.py [--clients 20000] [--seed 0] [--out DIR]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from polku.synth import generate


def _peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="Keep the files here (default: a temporary folder).")
    args = parser.parse_args()
    steps: dict[str, float] = {}
    last = [time.perf_counter(), ""]

    def progress(step: str, fraction: float) -> None:
        now = time.perf_counter()
        if step != last[1]:
            if last[1]:
                steps[last[1]] = steps.get(last[1], 0.0) + now - last[0]
            last[0], last[1] = now, step

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        started = time.perf_counter()
        result = generate(clients=args.clients, seed=args.seed, out_dir=out, progress=progress)
        total = time.perf_counter() - started
        size = sum(p.stat().st_size for p in out.iterdir())
    for step, seconds in steps.items():
        print(f"{step:<32} {seconds:8.1f} s")
    print(f"{'total':<32} {total:8.1f} s for {args.clients:,} clients")
    print(f"peak RSS {_peak_rss_mib():,.0f} MiB; {sum(result.rows.values()):,} rows, {size / 2**20:,.0f} MiB written")


if __name__ == "__main__":
    main()
