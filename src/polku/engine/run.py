"""An analysis's tables computed on the engine asked for: every report section's `compute`
over the store's tables, read through that engine's Ibis backend.

On DuckDB the sections read the store's read snapshot directly. On Spark the snapshot's
tables are handed to Spark, the per-service estimates are fitted spread over the cluster
first (`polku.engine.distribute`), and the sections then compute from the same cache, so
the run holds the same tables whichever engine made it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import ibis
import ibis.expr.types as ir
import pandas as pd

from polku.engine import DEFAULT_ENGINE, ENGINES
from polku.errors import UsageError
from polku.pipeline.settings import AnalysisContext, AnalysisSettings
from polku.reports.compute import ReportStore
from polku.store.connection import Store


def compute_on(
    snapshot: Store,
    settings: AnalysisSettings,
    engine: str = DEFAULT_ENGINE,
    remote: str | None = None,
    on_section: Callable[[str], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every section's tables over the open snapshot, on `engine` (`remote`: a Spark Connect
    address); `on_section` hears of each section done."""
    from polku.reports.compute import ReportStore, compute_sections
    from polku.reports.sections.impact import VIEWS

    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", fix=f"use one of: {', '.join(ENGINES)}.")
    if engine == "duckdb":
        return compute_sections(snapshot.shared_as(ReportStore), AnalysisContext(settings, on_section=on_section))
    from polku.engine.distribute import distributed_views
    from polku.engine.spark import backend, from_store, session

    store = from_store(snapshot, backend(session(remote)))
    analysis = AnalysisContext(settings, on_section=on_section)
    analysis.computed[VIEWS] = distributed_views(store, settings)
    return compute_sections(store, analysis)


def open_register(folder: Path, engine: str = DEFAULT_ENGINE, remote: str | None = None) -> Store:
    """The national Parquet register in `folder` as a store read through `engine`."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", fix=f"use one of: {', '.join(ENGINES)}.")
    if not Path(folder).is_dir():
        raise UsageError(f"no register at {folder}", fix="give the folder `polku generate --format parquet` wrote.")
    if engine == "duckdb":
        from polku.store.export import open_parquet_register

        return open_parquet_register(folder)
    from polku.engine.spark import backend, from_parquet, session

    return from_parquet(folder, backend(session(remote)))


@dataclass
class AreaStore(ReportStore):
    """One area of a register: every table with an `area` column filtered to it (the
    service catalogue, which has none, whole), on the register's engine."""

    base: Store | None = None
    area: str = ""

    @property
    def ibis(self) -> ibis.BaseBackend:
        return cast(Store, self.base).ibis

    @property
    def uuid_text_columns(self) -> frozenset[str]:
        return cast(Store, self.base).uuid_text_columns

    def table(self, name: str) -> ir.Table:
        if name not in self._tables:
            whole = cast(Store, self.base).table(name)
            self._tables[name] = whole.filter(whole.area == self.area) if "area" in whole.columns else whole
        return self._tables[name]


def area_views(register: Store, settings: AnalysisSettings, engine: str = DEFAULT_ENGINE) -> dict[tuple[str, str], Any]:
    """The effect of every service in every area of the register (estimates only, no
    checks or curves), by (area, service): on Spark one `applyInArrow` group per (area,
    service); on DuckDB one after another."""
    from polku.cohort.build import services_with_episodes
    from polku.engine.distribute import ESTIMATE_ONLY, Group, distributed_groups
    from polku.pipeline.store_views import store_views

    person = register.table("person")
    areas = [str(a) for a in person.select("area").distinct().order_by(ibis.asc("area", nulls_first=False)).to_pandas()["area"]]
    no_connection: Any = None  # an area's queries go through the register's Ibis backend only
    stores = {area: AreaStore(path=register.path, con=no_connection, base=register, area=area) for area in areas}
    if engine == "spark":
        groups = [Group(f"{area}|{code}", code, s) for area, s in stores.items() for code in services_with_episodes(s)]
        found = distributed_groups(groups, settings, **ESTIMATE_ONLY)
        return {(g.key.split("|")[0], g.service_code): found[g.key] for g in groups}
    s = settings
    return {
        (area, view.service_code): view
        for area, store in stores.items()
        for view in store_views(
            store, outcome=s.outcome, method=s.method, seed=s.seed, as_of=s.as_of, checks=False, survival=False, expected=False
        )
    }
