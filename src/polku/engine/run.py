"""An analysis's tables computed on the engine asked for: every report section's `compute`
over the store's tables, read through that engine's Ibis backend.

On DuckDB the sections read the store's read snapshot directly. On Spark the snapshot's
tables are handed to Spark, the per-service estimates are fitted spread over the cluster
first (`polku.engine.distribute`), and the sections then compute from the same cache, so
the run holds the same tables whichever engine made it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from polku.engine import DEFAULT_ENGINE, ENGINES
from polku.errors import UsageError
from polku.pipeline.settings import AnalysisContext, AnalysisSettings
from polku.store.connection import Store


def compute_on(
    snapshot: Store, settings: AnalysisSettings, engine: str = DEFAULT_ENGINE, remote: str | None = None
) -> dict[str, pd.DataFrame]:
    """Every section's tables over the open snapshot, on `engine` (`remote`: a Spark Connect address)."""
    from polku.reports.render import ReportStore, compute_sections
    from polku.reports.sections.impact import VIEWS

    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", fix=f"use one of: {', '.join(ENGINES)}.")
    if engine == "duckdb":
        return compute_sections(snapshot.shared_as(ReportStore), AnalysisContext(settings))
    from polku.engine.distribute import distributed_views
    from polku.engine.spark import backend, from_store, session

    store = from_store(snapshot, backend(session(remote)))
    analysis = AnalysisContext(settings)
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
