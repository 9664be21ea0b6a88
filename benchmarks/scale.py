"""Import and analysis at national scale: wall time and peak memory, DuckDB and Spark side by side.

For each size in `--sizes` (clients; default 100,000, 300,000 and 1,000,000) in one run:

1. `polku generate --clients N` writes one synthetic area in the import format (timed, not
   part of the comparison);
2. **import**: `polku import` of that folder into a fresh store (DuckDB; the Spark engine
   reads the same store, so the import is the same for both);
3. **analyse**: `polku analyse --engine duckdb`, then `polku analyse --engine spark`
   (local mode, `local[2]`), on that store: every report section, the cohorts and the
   per-service estimates;
4. with `--national AREAS`: `polku generate --areas AREAS --clients N --format parquet`
   and `polku national --engine duckdb|spark` over that register.

Each step runs as its own process; its peak memory is the largest sum of the resident
set sizes (RSS) of the process and all its descendants (the JVM of Spark included),
sampled every 0.2 s from /proc. Prints one table and writes it as CSV with `--csv`.
The issue's target for DuckDB at 1,000,000 clients: under 15 minutes and 8 GiB.

    uv run --frozen python benchmarks/scale.py --sizes 100000,300000,1000000 [--national 45]
        [--engines duckdb,spark] [--csv out.csv] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
KEY = "5e" * 32
"""A fixed pseudonymisation key for the benchmark's synthetic stores."""


@dataclass(frozen=True)
class Step:
    clients: int
    engine: str
    step: str
    seconds: float
    peak_mib: float
    exit_code: int


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of `pid` and every descendant, in KiB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE_KIB
        except (OSError, IndexError, ValueError):
            continue
        todo += _children(current)
    return total


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds, peak MiB of the process tree, exit code) of one command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(process.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    done.set()
    sampler.join()
    if process.returncode:
        print(err.decode("utf-8", "replace")[-2000:], file=sys.stderr)
    return time.perf_counter() - started, peak / 1024, process.returncode


IMPORT = (
    "import sys; from pathlib import Path; from polku.identity import load_key; from polku.ingest import import_folder; "
    "from polku.store import open_store\n"
    "with open_store(Path(sys.argv[2])) as store: import_folder(store, Path(sys.argv[1]), key=load_key(), allow_shrink=True)"
)
"""The import step: every file of the generated folder, as `polku demo` imports them."""


def polku(*args: str) -> list[str]:
    return [sys.executable, "-m", "polku", *args]


def run_size(root: Path, clients: int, engines: list[str], national: int, env: dict[str, str]) -> list[Step]:
    """Every step at one size, each timed and measured."""
    folder, store = root / f"area-{clients}", root / f"store-{clients}" / "polku.duckdb"
    steps: list[Step] = []

    def step(engine: str, name: str, command: list[str]) -> None:
        seconds, peak, code = measure(command, env)
        steps.append(Step(clients, engine, name, round(seconds, 1), round(peak, 0), code))
        print(f"{clients:>9,} {engine:<7} {name:<10} {seconds:8.1f} s {peak:8.0f} MiB  exit {code}", flush=True)

    step("-", "generate", polku("generate", "--clients", str(clients), "--out", str(folder)))
    store.parent.mkdir(parents=True, exist_ok=True)
    step("duckdb", "import", [sys.executable, "-c", IMPORT, str(folder), str(store)])
    for engine in engines:
        step(engine, "analyse", polku("analyse", "--store", str(store), "--engine", engine))
    if national:
        register = root / f"register-{clients}"
        step(
            "-",
            "generate",
            polku("generate", "--areas", str(national), "--clients", str(clients), "--format", "parquet", "--out", str(register)),
        )
        for engine in engines:
            step(engine, "national", polku("national", "--register", str(register), "--engine", engine))
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,300000,1000000", help="comma-separated client counts")
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--national", type=int, default=0, help="also the national register of this many areas")
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the data in (default: a temporary one)")
    options = parser.parse_args()
    env = dict(os.environ, POLKU_PSEUDONYM_KEY=KEY)
    with tempfile.TemporaryDirectory(prefix="polku-scale-") as temporary:
        root = options.keep or Path(temporary)
        root.mkdir(parents=True, exist_ok=True)
        steps = [
            s for n in options.sizes.split(",") for s in run_size(root, int(n), options.engines.split(","), options.national, env)
        ]
    if options.csv:
        with options.csv.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(asdict(steps[0])))
            writer.writeheader()
            writer.writerows(asdict(s) for s in steps)


if __name__ == "__main__":
    main()
