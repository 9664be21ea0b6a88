"""How often the targeting checks find built-in mis-targeting, and how often they flag a
correctly targeted area, over many synthetic areas.

Each replication generates two areas of the same seed: the default (referrals follow the
synthetic menu) and one with `Targeting(service=..., to_group=..., left_out=...)`; both are
imported into a store as a user would, grouped (`polku.groups`) and checked against the
synthetic menu (`polku.menu.targeting`). Reported: the share of areas in which the
mis-targeted service and the left-out group are flagged (detection), and the share of
areas with any flag on the default (false flags), with each service's share of
participants in its intended groups.

    uv run --frozen python benchmarks/targeting.py [--replications 20] [--clients 2000]
        [--service IPS] [--to-group recent_work] [--left-out older] [--jobs 2] [--csv FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

KEY = "5e" * 32


def _checks(root: Path, clients: int, seed: int, targeting: Any) -> dict[str, pd.DataFrame]:
    from polku.cohort.build import data_end
    from polku.groups.assign import with_groups
    from polku.groups.config import load_groups
    from polku.groups.rows import group_rows
    from polku.identity import load_key
    from polku.ingest import import_folder
    from polku.menu import load_menu, menu_tables
    from polku.store import open_store
    from polku.synth import generate

    generate(clients=clients, seed=seed, out_dir=root / "synthetic", targeting=targeting)
    with open_store(root / "polku.duckdb") as store:
        import_folder(store, root / "synthetic", key=load_key())
    config = load_groups()
    with open_store(root / "polku.duckdb", read_only=True) as store:
        frame, as_of = with_groups(group_rows(store), config, seed), data_end(store)
    return menu_tables(frame, config, load_menu(config), pd.Timestamp(as_of))


def replicate(seed: int, clients: int, service: str, to_group: str, left_out: tuple[str, ...]) -> list[dict[str, Any]]:
    """One seed: the default and the mis-targeted area, one row per area and service."""
    os.environ["POLKU_PSEUDONYM_KEY"] = KEY
    from polku.synth.params import NO_MISTARGETING, Targeting

    rows = []
    for kind, targeting in (("default", NO_MISTARGETING), ("mistargeted", Targeting(service, to_group, left_out=left_out))):
        with tempfile.TemporaryDirectory() as folder:
            tables = _checks(Path(folder), clients, seed, targeting)
        flagged_groups = set(tables["menu_unserved"].loc[tables["menu_unserved"]["flagged"], "group"])
        for r in tables["menu_targeting"].itertuples():
            share = r.intended / r.participants if r.participants else float("nan")
            rows.append(
                {"seed": seed, "area": kind, "service": r.service_code, "participants": r.participants, "share": share}
                | {"flagged": bool(r.flagged), "groups_flagged": ",".join(sorted(flagged_groups))}
            )
    return rows


def summarise(frame: pd.DataFrame, service: str, left_out: tuple[str, ...]) -> str:
    """Detection and false-flag rates, and the mean share per service and area."""
    areas = frame.drop_duplicates(["area", "seed"]).set_index(["area", "seed"])["groups_flagged"]
    lines = [f"{frame['seed'].nunique()} seeds"]
    mis = frame[frame["area"] == "mistargeted"]
    found = mis[mis["service"] == service].groupby("seed")["flagged"].any()
    lines.append(f"mis-targeted {service} flagged in {found.mean():.0%} of areas")
    for group in left_out:
        hit = areas.loc["mistargeted"].str.split(",").map(set).map({group}.issubset)
        lines.append(f"left-out group {group} flagged in {hit.mean():.0%} of areas")
    base = frame[frame["area"] == "default"]
    false_services = base.groupby("seed")["flagged"].any()
    false_groups = areas.loc["default"].map(bool)
    lines.append(f"default areas with a flagged service {false_services.mean():.0%}")
    lines.append(f"default areas with a flagged group {false_groups.mean():.0%}")
    shares = frame.pivot_table(index="service", columns="area", values="share", aggfunc=["mean", "min"])
    return "\n".join(lines) + "\n\nshare of participants in intended groups\n" + shares.round(3).to_string()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--service", default="IPS")
    parser.add_argument("--to-group", default="recent_work")
    parser.add_argument("--left-out", nargs="*", default=["older"])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--csv", type=Path, default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    left_out = tuple(args.left_out)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [
            pool.submit(replicate, seed, args.clients, args.service, args.to_group, left_out)
            for seed in range(1, args.replications + 1)
        ]
        rows = [row for f in futures for row in f.result()]
    frame = pd.DataFrame(rows)
    out = args.csv or Path(tempfile.gettempdir()) / "polku-targeting.csv"
    frame.to_csv(out, index=False)
    print(summarise(frame, args.service, left_out))
    print(f"\n{len(frame)} rows in {out}; {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
