"""Payment models against the truth on synthetic areas, and the incentive to cream (issue 18 point 4).

Each area is generated (its own seed), imported as a user would, and analysed with the
run's own steps (`polku.pipeline.store_views`, the cost-benefit and payments sections):
so each shipped payment model (`polku/payments/models`) is priced exactly as
`polku payments` prices it. The generator knows each participant episode's outcome with
and without the service (`ground_truth_episodes.csv`), so the true value added of each
provider is
    sum over its followed participants of (employed_12m_with - employed_12m_without) x g x PV(H),
g the public gain of one employment (the fiscal engine, `cba_results`), PV(H) over the
model's horizon (the run's one year for a rate card). A rate card's fees are also computed
per episode from the true outcomes with the service (what was observed), so its payment per
client and true value added per client can be read by decile of the seed model's expected
outcome (p_i, `polku.payments.outcomes.expected_chance`), and its fees for work that would
have happened anyway are known exactly (job outcomes of clients in work without the service).

With --cream PROVIDER the same areas are generated again with that provider refusing
low-potential referrals (the setting `provider_behaviour.creaming`, set with
`polku.synth.params.overridden`), and the tables compare the two.

    OMP_NUM_THREADS=1 uv run --frozen python benchmarks/payments_backtest.py [--areas 5] [--clients 3000]
        [--cream LVP] [--refusal 0.8] [--jobs 1] [--csv FILE] [--charts DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

KEY = bytes.fromhex("5e" * 32)
MONTH_DAYS = 30.44


def _analysed(
    seed: int, clients: int, cream: str | None, refusal: float, tmp: Path
) -> tuple[dict[str, pd.DataFrame], dict, pd.DataFrame]:
    """Generate, import and analyse one area: the run's tables, p_i by service, the truth."""
    from polku.identity import PseudonymKey
    from polku.ingest import import_folder
    from polku.pipeline.settings import AnalysisContext, AnalysisSettings
    from polku.pipeline.store_views import store_views
    from polku.reports.sections import payments as payments_section
    from polku.reports.sections.cost_benefit import compute_cost_benefit
    from polku.reports.sections.impact_tables import effect_tables
    from polku.store import open_store
    from polku.synth import generate
    from polku.synth.params import overridden

    data = tmp / "area"
    behaviour = {"provider_behaviour.creaming": {"provider": cream, "refuse_share": refusal, "below_potential": 0.0}}
    with overridden(behaviour if cream else {}):
        generate(clients=clients, seed=seed, out_dir=data)
    with open_store(tmp / "store.duckdb") as store:
        import_folder(store, data, key=PseudonymKey(KEY, 1))
    with open_store(tmp / "store.duckdb", read_only=True) as store:
        ctx = AnalysisContext(AnalysisSettings(seed=seed))
        views = store_views(store, seed=seed, checks=False, survival=False, expected=False)
        ctx.computed["impact_views"] = views
        tables = {"impact_effects": effect_tables(views)["impact_effects"], **compute_cost_benefit(store, ctx)}
        tables |= payments_section.compute(store, ctx)
        chances = ctx.computed["expected_chances"]
        followed = {v.service_code: set(v.frame.loc[v.frame["treated"].astype(bool), "episode_id"].astype(str)) for v in views}
    truth = pd.read_csv(data / "ground_truth_episodes.csv", dtype={"episode_id": str})
    truth = truth[[e in followed.get(s, set()) for e, s in zip(truth["episode_id"], truth["service_code"])]]
    return tables, chances, truth


def _episode_fees(truth: pd.DataFrame, model: Any) -> pd.DataFrame:
    """A rate card's fees per episode from its true outcomes with the service."""
    months = np.floor(truth["days_employed_12m_with"].to_numpy(float) / MONTH_DAYS)
    employed = truth["employed_12m_with"].astype(bool).to_numpy()
    cap = model.cap_per_participant.value if model.cap_per_participant else np.inf
    fees, outcome = np.zeros(len(truth)), np.zeros(len(truth))
    for i, group in enumerate(truth["client_group"].astype(str)):
        r = model.rates_for(group)
        total = r.attachment.value + (r.job_outcome.value if employed[i] else 0.0)
        total += sum(s.fee.value for s in r.sustainment if employed[i] and months[i] >= s.months)
        fees[i] = min(total, cap)
        outcome[i] = fees[i] - min(r.attachment.value, cap)
    return truth.assign(fees=fees, outcome_fees=outcome)


def _gain(tables: dict[str, pd.DataFrame], horizon: int | None) -> dict[str, float]:
    from polku.payments.calculate import fiscal_value

    return {s: g for s, (g, _) in fiscal_value(tables["cba_results"], horizon).items()}


def one_area(seed: int, clients: int, cream: str | None, refusal: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Provider rows and decile rows of every shipped model in one area."""
    from polku.payments.calculate import payments
    from polku.payments.model import load_model, shipped_models

    with tempfile.TemporaryDirectory() as tmp:
        tables, chances, truth = _analysed(seed, clients, cream, refusal, Path(tmp))
    p = pd.concat([s.rename(code) for code, s in chances.items() if len(s)]) if chances else pd.Series(dtype=float)
    truth = truth.assign(expected=truth["episode_id"].map(p.groupby(level=0).first()))
    truth["decile"] = truth.groupby("service_code")["expected"].transform(
        lambda x: np.ceil(10 * x.rank(method="first") / x.notna().sum()).clip(1, 10)
    )
    providers, deciles = [], []
    for path in shipped_models():
        model = dataclasses.replace(load_model(path), period="all")
        horizon = int(model.horizon_years.value) if model.horizon_years else None
        gain = _gain(tables, horizon)
        t = truth.assign(true_value=(truth["employed_12m_with"].astype(float) - truth["employed_12m_without"].astype(float)))
        t["true_value"] = t["true_value"] * t["service_code"].map(gain)
        estimated = payments(tables, model)
        if model.kind == "rate_card":
            t = _episode_fees(t, model)
            anyway = t["employed_12m_without"].astype(bool) & t["employed_12m_with"].astype(bool)
            t["fees_anyway"] = np.where(anyway, t["outcome_fees"], 0.0)
        else:  # paid per provider: each client carries the provider's payment per participant
            per = (
                estimated.set_index(["provider_id", "service_code"])["payment"]
                / estimated.set_index(["provider_id", "service_code"])["participants"]
            )
            t["fees"] = [per.get((a, b), np.nan) for a, b in zip(t["provider_id"], t["service_code"])]
            t["outcome_fees"] = t["fees_anyway"] = np.nan
        base = {"area": seed, "cream": cream or "", "model": path.stem, "kind": model.kind}
        truth_by = t.groupby(["provider_id", "service_code"]).agg(
            true_value=("true_value", "sum"),
            episodes=("episode_id", "size"),
            fees_anyway=("fees_anyway", "sum"),
            outcome_fees=("outcome_fees", "sum"),
        )
        est = estimated.set_index(["provider_id", "service_code"])[["participants", "payment", "value_added", "deadweight_fees"]]
        providers.append(est.join(truth_by, how="left").reset_index().assign(**base))
        by_decile = (
            t.dropna(subset=["decile"])
            .groupby(["provider_id", "service_code", "decile"])
            .agg(
                clients=("episode_id", "size"),
                payment=("fees", "sum"),
                true_value=("true_value", "sum"),
                expected=("expected", "mean"),
            )
        )
        deciles.append(by_decile.reset_index().assign(**base))
    return pd.concat(providers, ignore_index=True), pd.concat(deciles, ignore_index=True)


def run(
    areas: int, clients: int, cream: str | None, refusal: float, jobs: int, first_seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    tasks = [
        (seed, clients, c, refusal)
        for seed in range(first_seed, first_seed + areas)
        for c in ([None, cream] if cream else [None])
    ]
    started = time.perf_counter()
    results: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            results = list(pool.map(one_area, *zip(*tasks)))
    else:
        for task in tasks:
            results.append(one_area(*task))
            print(
                f"area {task[0]}{' (cream ' + task[2] + ')' if task[2] else ''}: {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
    return pd.concat([r[0] for r in results], ignore_index=True), pd.concat([r[1] for r in results], ignore_index=True)


def summary(providers: pd.DataFrame) -> pd.DataFrame:
    """Per model (and creaming or not): payments against estimated and true value added."""
    g = providers.groupby(["model", "cream"])
    out = g.agg(
        payment=("payment", "sum"),
        estimated_value=("value_added", "sum"),
        true_value=("true_value", "sum"),
        fees_anyway=("fees_anyway", "sum"),
        outcome_fees=("outcome_fees", "sum"),
    )
    out["payment_per_true_value"] = out["payment"] / out["true_value"]
    out["share_of_outcome_fees_paid_for_work_anyway"] = out["fees_anyway"] / out["outcome_fees"]
    negative = providers[providers["true_value"] <= 0].groupby(["model", "cream"])["payment"].sum()
    out["share_paid_to_providers_adding_nothing"] = (negative / out["payment"]).fillna(0.0)
    out["correlation_payment_true_value"] = g.apply(lambda f: f["payment"].corr(f["true_value"]), include_groups=False)
    return out.reset_index()


def by_decile(deciles: pd.DataFrame) -> pd.DataFrame:
    """Payment and true value added per client by decile of the expected outcome."""
    g = deciles.groupby(["model", "cream", "decile"])[["clients", "payment", "true_value"]].sum()
    g["payment_per_client"] = g["payment"] / g["clients"]
    g["true_value_per_client"] = g["true_value"] / g["clients"]
    return g.reset_index()


def creamer(providers: pd.DataFrame, name: str) -> pd.DataFrame:
    """The creaming provider's participants, payment and true value per participant, with and without creaming."""
    p = providers[providers["provider_id"] == name].groupby(["model", "cream"])[["participants", "payment", "true_value"]].sum()
    p["payment_per_participant"] = p["payment"] / p["participants"]
    p["true_value_per_participant"] = p["true_value"] / p["participants"]
    return p.reset_index()


def charts(decile: pd.DataFrame, folder: Path) -> None:
    """Payment against true value added per client by decile, one panel per model (SVG)."""
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    models = sorted(decile["model"].unique())
    fig, axes = plt.subplots(1, len(models), figsize=(3.2 * len(models), 3.0), sharey=True)
    for ax, model in zip(np.atleast_1d(axes), models):
        for cream, style in (("", "-"), *((c, "--") for c in sorted(set(decile["cream"])) if c)):
            d = decile[(decile["model"] == model) & (decile["cream"] == cream)]
            suffix = f" (creaming {cream})" if cream else ""
            ax.plot(d["decile"], d["payment_per_client"], "o" + style, label="payment" + suffix, color="#1f5f8b")
            ax.plot(d["decile"], d["true_value_per_client"], "s" + style, label="true value added" + suffix, color="#b5651d")
        ax.set_title(model.replace("_", " "), fontsize=8)
        ax.set_xlabel("decile of expected outcome", fontsize=7)
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.tick_params(labelsize=7)
    np.atleast_1d(axes)[0].set_ylabel("EUR per client", fontsize=7)
    np.atleast_1d(axes)[0].legend(fontsize=6)
    fig.tight_layout()
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / "payments_deciles.svg", metadata={"Date": None})
    plt.close(fig)


def markdown(frame: pd.DataFrame) -> str:
    """A pipe table (pandas' own needs the tabulate package, which Polku does not depend on)."""
    cells = [
        [f"{v:,.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v) for v in row]
        for row in frame.itertuples(index=False)
    ]
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=5)
    parser.add_argument("--clients", type=int, default=3000)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--cream", default=None, help="a provider id that creams in a second run of each area (e.g. LVP)")
    parser.add_argument("--refusal", type=float, default=0.8)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--csv", type=Path, default=None, help="write the provider and decile rows to FILE and FILE.deciles.csv")
    parser.add_argument("--charts", type=Path, default=None, help="folder for payments_deciles.svg")
    a = parser.parse_args(argv)
    providers, deciles = run(a.areas, a.clients, a.cream, a.refusal, a.jobs, a.first_seed)
    if a.csv:
        providers.to_csv(a.csv, index=False)
        deciles.to_csv(a.csv.with_suffix(".deciles.csv"), index=False)
    pd.set_option("display.width", 200)
    print("## Payments against estimated and true value added (all providers, all areas)\n")
    print(markdown(summary(providers).round(3)))
    d = by_decile(deciles)
    print("\n## Per client by decile of the expected outcome\n")
    print(markdown(d.round(0)))
    if a.cream:
        print(f"\n## The creaming provider {a.cream}\n")
        print(markdown(creamer(providers, a.cream).round(1)))
    if a.charts:
        charts(d, a.charts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
