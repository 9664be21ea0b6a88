"""The providers' tables of an analysis run: what `polku analyse` stores and every view reads.

`provider_tables` takes the services' fitted views (the impact section's, fitted once per
run) and the store, and returns exact figures, one plain value per cell; the disclosure
gate is applied when a view shows them. Tables: `providers_comparison` (risk-adjusted and
naive funnels, `polku.providers.compare`), `providers_deciles`, `providers_monitor` and
`providers_trends` (`polku.providers.monitors`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from polku.cohort.build import data_end, services_with_episodes
from polku.pipeline.store_views import ServiceView, service_view
from polku.providers import compare, monitors
from polku.store import Store
from polku.typed import typed_frame

TABLES = {
    "providers_comparison": compare.COMPARISON,
    "providers_deciles": monitors.DECILES,
    "providers_monitor": monitors.MONITOR,
    "providers_trends": monitors.TRENDS,
}


def participant_rows(views: Sequence[ServiceView], outcome: str, seed: int) -> pd.DataFrame:
    """Every service's participants with a provider, their outcome and their seed-model p_i."""
    parts = [compare.expectations(view, outcome, seed) for view in views]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return typed_frame([], compare.EXPECTATIONS)
    data = pd.concat(parts, ignore_index=True)
    return data[data["provider_id"].notna() & (data["provider_id"] != "None")].reset_index(drop=True)


def provider_tables(
    store: Store, views: Sequence[ServiceView], *, outcome: str, seed: int, as_of: dt.date | None
) -> dict[str, pd.DataFrame]:
    """The four providers_* tables of a run."""
    data = participant_rows(views, outcome, seed)
    if data.empty:  # no service with an estimate (or an empty store, which has no data end either)
        return {name: typed_frame([], schema) for name, schema in TABLES.items()}
    end = as_of or data_end(store)
    acts = monitors.activity(store, data, end)
    decided = monitors.with_deciles(data, acts)
    return {
        "providers_comparison": compare.comparison(data),
        "providers_deciles": monitors.deciles(decided),
        "providers_monitor": monitors.monitor(decided, monitors.referrals(store)),
        "providers_trends": monitors.trends(decided),
    }


def seed_model_views(
    store: Store, *, services: list[str] | None = None, outcome: str = "employed_12m", seed: int = 0
) -> list[ServiceView]:
    """The services' views with only what the providers' tables need: the same cohorts and
    censoring-weighted rows as the run's, fitted with the seed model alone (no AIPW, checks
    or curves), for the benchmark and tests that rate providers over many areas."""
    codes = services or services_with_episodes(store)
    return [
        service_view(
            store,
            code,
            outcome=outcome,
            method="expected_observed",
            seed=seed,
            settings={"bootstrap": 0},
            checks=False,
            survival=False,
            expected=False,
            by_provider=False,
        )
        for code in codes
    ]
