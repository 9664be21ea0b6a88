"""Store estimates with Polku's censoring weights beside the generator's true ones.

Comparison people who start a service later are censored then, and the others weighted
by 1 / P(not referred until their outcome is settled) (`polku.cohort.censoring`). Polku
must *estimate* that probability; the synthetic generator *knows* it: every month it
draws each candidate's referral from `start_probabilities`. This script records those
monthly probabilities while generating each area, turns them into each comparison row's
true probability of staying unreferred (the "oracle" weights), and runs exactly the
estimation `polku estimate` runs (`service_estimates`, AIPW, by service and client group)
four times: as `polku estimate` does (`polku`: the doubly robust censoring correction,
`polku.cohort.augmented`), with Polku's censoring weights alone (`polku_weights`), with the
oracle weights, and with the oracle weights truncated at their 99th percentile as Polku's
are.

What it tells: where the oracle is unbiased and Polku is not, Polku's censoring model is
to blame; where even the oracle has a large spread or bias, the data cannot answer the
question well (few comparison people stay unreferred, so the few who do carry heavy
weights). docs/methods.md section 7 gives a run's figures.

    uv run --frozen python benchmarks/censoring_oracle.py [--areas 40] [--jobs 2]
        [--services COACH,TRAIN,IPS,REHAB] [--weights polku,polku_weights,oracle,oracle_truncated] [--csv FILE]

The oracle weights do not depend on Polku's code, so a change to the censoring model
needs only `--weights polku` (or `polku_weights`) on the same seeds to compare with an earlier run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from impact_replications import KEY, _naive, _print, _truth, run_areas, summarise  # noqa: E402

WEIGHTS = ("polku", "polku_weights", "oracle", "oracle_truncated")
"""polku: what `polku estimate` does (the doubly robust censoring correction for work within
the window); the others use censoring weights alone: Polku's (`polku_weights`) or the
generator's true ones."""


@contextlib.contextmanager
def recorded_referral_probabilities() -> Iterator[dict[int, tuple[np.ndarray, np.ndarray]]]:
    """While active, every month's referral candidates and their total referral
    probability (the chance `service_state._choose` draws against) are kept by month."""
    from polku.synth import service_state as ss

    record: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    original_choose, original_probabilities = ss._choose, ss.start_probabilities

    def choose(world, idx, mo):  # type: ignore[no-untyped-def]
        seen: list[np.ndarray] = []

        def probabilities(*args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(original_probabilities(*args, **kwargs))
            return seen[-1]

        ss.start_probabilities = probabilities  # the generator's own formula, called once
        try:
            chosen = original_choose(world, idx, mo)
        finally:
            ss.start_probabilities = original_probabilities
        record[mo.m] = (idx.copy(), seen[0].sum(axis=1))
        return chosen

    ss._choose = choose
    try:
        yield record
    finally:
        ss._choose = original_choose


def _days(values: pd.Series) -> np.ndarray:
    """Day numbers of a date column (NaT becomes +infinity)."""
    v = pd.to_datetime(values).to_numpy().astype("datetime64[D]")
    out = v.astype(np.int64).astype(float)
    out[np.isnat(v)] = np.inf
    return out


def _start_day_share(month_starts: np.ndarray, month: int, day: float, after: bool) -> float:
    """Share of the month's possible service start days after (or up to) `day`: the
    generator draws a start uniformly over the month's days but the last."""
    first, span = month_starts[month], month_starts[month + 1] - month_starts[month] - 1
    later = np.clip((first + span - 1 - day) / span, 0.0, 1.0)
    return float(later if after else 1.0 - later)


def oracle_weights(
    frame: pd.DataFrame, person: np.ndarray, hazard: np.ndarray, month_starts: np.ndarray, months: int
) -> np.ndarray:
    """1 for participants, 0 for censored comparison rows, 1 / true P(unreferred until
    settled) for the others. Referral is drawn at a month's start for that month, with the
    start day later in it; an exit can only follow the start, so a job in a month means
    no referral that month, and in the reference month only starts after the reference
    date censor (the person was not served on it).

    Two small approximations (a review measured them at about 0.1 point of weighted
    employment): in the reference month, leaving unemployment before the reference date
    is possible only for those not referred, which is ignored; in the window's last month,
    a referral whose start falls after the window's end is counted as not censoring
    although such a person could not leave unemployment before the start."""
    from polku.cohort.build import window_days

    horizon = window_days(months)
    ref = _days(frame["ref_date"])
    service, job = _days(frame["first_service_after"]) - ref, _days(frame["first_job_day"]) - ref
    treated = frame["treated"].to_numpy(dtype=bool)
    censored = ~treated & (service < job) & (service < horizon)
    found_job = job < horizon
    settle = ref + np.where(found_job, job, horizon - 1)
    first_month = np.searchsorted(month_starts, ref, side="right") - 1
    last_month = np.searchsorted(month_starts, settle, side="right") - 1
    weights = np.ones(len(frame))
    weights[censored] = 0.0
    for k in np.flatnonzero(~treated & ~censored):
        h, m0, m1 = hazard[person[k]], first_month[k], last_month[k]
        later = _start_day_share(month_starts, m0, ref[k], after=True)
        not_before = 1.0 - h[m0] * (1.0 - later)  # not started by the reference date
        keep = (1.0 - h[m0]) / not_before  # no referral in the reference month
        if m1 > m0:
            keep *= np.prod(1.0 - h[m0 + 1 : m1])
            keep *= 1.0 - h[m1] * (1.0 if found_job[k] else _start_day_share(month_starts, m1, settle[k], after=False))
        weights[k] = 1.0 / keep
    return weights


def replicate(
    seed: int, clients: int, services: tuple[str, ...], kinds: tuple[str, ...] = WEIGHTS, outcome: str = "employed_12m"
) -> list[dict]:
    """One area: each service's rows with each kind of censoring weights."""
    from polku.cohort.censoring import truncate
    from polku.identity import PseudonymKey
    from polku.identity.pseudonym import pseudonym
    from polku.ingest import import_folder
    from polku.pipeline import by_service
    from polku.store import open_store
    from polku.synth import generate
    from polku.synth.timeline import Timeline

    key = PseudonymKey(KEY, 1)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "area"
        with recorded_referral_probabilities() as record:
            generate(clients=clients, seed=seed, out_dir=data)
        timeline = Timeline.from_assumptions()
        hazard = np.zeros((clients, timeline.months))
        for m, (idx, total) in record.items():
            hazard[idx, m] = total
        # person.csv lists the clients in sequence order; the generator's flawed rows
        # (invalid codes) come after them, so the first `clients` rows are the clients.
        hetus = pd.read_csv(data / "person.csv", usecols=["hetu"], dtype=str)["hetu"].iloc[:clients]
        index = {str(pseudonym(h, key)): i for i, h in enumerate(hetus)}
        episodes = pd.read_csv(
            data / "ground_truth_episodes.csv", usecols=["episode_id", "service_code", f"{outcome}_with", f"{outcome}_without"]
        )
        polku_weights, polku_augments = by_service.censoring_weights, by_service.augments
        with open_store(Path(tmp) / "store.duckdb") as store:
            import_folder(store, data, key=key)
            for service in services:
                for kind in kinds:

                    def weights(frame: pd.DataFrame, X: np.ndarray, window: int, kind: str = kind) -> np.ndarray:
                        if kind.startswith("polku"):
                            return polku_weights(frame, X, window)
                        person = frame["person_id"].astype(str).map(index).to_numpy(dtype=int)
                        w = oracle_weights(frame, person, hazard, np.asarray(timeline.month_starts), window)
                        return truncate(w) if kind == "oracle_truncated" else w

                    by_service.censoring_weights = weights
                    by_service.augments = polku_augments if kind == "polku" else (lambda outcome, method: False)
                    try:
                        estimates, frame = by_service.service_estimates(
                            store, service, outcome=outcome, seed=seed, by_provider=False
                        )
                    finally:
                        by_service.censoring_weights, by_service.augments = polku_weights, polku_augments
                    part = _truth(frame, episodes, outcome)
                    for row in estimates:
                        group = row.client_group or "all"
                        chosen = part if group == "all" else part[part["client_group"] == group]
                        rows_frame = frame if group == "all" else frame[frame["client_group"] == group]
                        comparison = rows_frame[~rows_frame["treated"]]
                        w = comparison["censoring_weight"].to_numpy(dtype=float)
                        rows.append(
                            {
                                "seed": seed,
                                "service": f"{service} {kind}",
                                "group": group,
                                "participants": len(chosen),
                                "truth": chosen["effect"].mean() if len(chosen) else np.nan,
                                "estimate": row.result.estimate,
                                "ci_low": row.result.ci_low,
                                "ci_high": row.result.ci_high,
                                "naive": _naive(rows_frame, outcome),
                                "censored_share": float((w == 0).mean()) if len(w) else np.nan,
                                "weight_sum_ratio": float(w.sum() / len(w)) if len(w) else np.nan,
                            }
                        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=40)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--first-seed", type=int, default=2000)
    parser.add_argument("--services", default="COACH,TRAIN,IPS,REHAB")
    parser.add_argument("--weights", default=",".join(WEIGHTS), help="which kinds of weights to run")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--csv", type=Path, default=Path(tempfile.gettempdir()) / "polku_censoring_oracle.csv")
    args = parser.parse_args()
    services = tuple(args.services.split(","))
    started = time.perf_counter()
    seeds = range(args.first_seed, args.first_seed + args.areas)
    table = run_areas(replicate, seeds, args.jobs, args.csv, args.clients, services, tuple(args.weights.split(",")))
    print(f"{args.areas} areas of {args.clients:,} clients; {time.perf_counter() - started:,.0f} s; rows in {args.csv}")
    _print(summarise(table), table)
    shares = table.groupby(["service", "group"], sort=False)[["censored_share", "weight_sum_ratio"]].mean()
    print(
        "\ncomparison rows censored, and sum of weights / comparison rows (about 1 for right, untruncated\n"
        "weights; truncation lowers it):"
    )
    print(shares.round(3).to_string())


if __name__ == "__main__":
    main()
