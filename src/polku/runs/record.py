"""`polku analyse`: compute every section's tables once, from a read snapshot, and store the run.

Why from a snapshot: the analysis never holds the store's lock, so an import can run while
an analysis runs (and the other way round); the run records which snapshot and which
imports it read, so its figures are tied to that data even after the store moves on.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from polku.engine import DEFAULT_ENGINE
from polku.engine.run import compute_on
from polku.pipeline.settings import AnalysisSettings
from polku.reports.registry import sections
from polku.runs import layout, progress, provenance, tables
from polku.runs.read import Run, read_run
from polku.store.connection import store_target
from polku.store.snapshots import describe, open_snapshot


def analyse(
    store_path: Path | str | None = None,
    settings: AnalysisSettings | None = None,
    *,
    engine: str = DEFAULT_ENGINE,
    spark_remote: str | None = None,
) -> Run:
    """Compute every report section's tables over the store's newest snapshot on `engine`
    (`polku.engine`: duckdb, or spark, local or at `spark_remote`) and publish them, with
    their provenance, as a new run; the run."""
    settings = settings or AnalysisSettings()
    target = store_target(store_path)
    started = provenance.utc_now()
    run_id = layout.new_run_id(started)
    with open_snapshot(target) as snapshot:
        tracker = progress.Tracker(target, run_id, total=len(sections()))
        try:
            frames = compute_on(snapshot, settings, engine, spark_remote, on_section=tracker.step)
            read = provenance.imports(snapshot)
            source = describe(snapshot.path)
            record = provenance.provenance(
                run_id=run_id,
                store_path=target,
                snapshot=source,
                read=read,
                settings=settings,
                started=started,
                finished=provenance.utc_now(),
            ) | {"engine": engine}
            run = read_run(layout.publish(target, record, frames))
        except BaseException as error:
            tracker.end(error)
            raise
    tracker.end()
    return run


def analyse_register(
    register: Path,
    settings: AnalysisSettings | None = None,
    *,
    engine: str = DEFAULT_ENGINE,
    spark_remote: str | None = None,
    impact: bool = False,
) -> Run:
    """The national tables (`polku.national`) over a Parquet register on `engine`, stored as
    a run beside the register's folder (`<register>.runs/`): only the `national_` tables,
    with the register's manifest as what was read; with `impact`, `national_impact`
    too (each service's effect in each area, beside its true effect when synthetic)."""
    from polku.engine.run import area_views, open_register
    from polku.national.compute import national_tables
    from polku.national.impact import impact_table, true_effects

    settings = settings or AnalysisSettings()
    folder = Path(register)
    started = provenance.utc_now()
    run_id = layout.new_run_id(started)
    store = open_register(folder, engine, spark_remote)
    frames = national_tables(store, seed=settings.seed, end=settings.as_of)
    if impact:  # every service in every area: the estimation spread by (area, service) on Spark
        views = area_views(store, settings, engine)
        frames["national_impact"] = impact_table(views, true_effects(store, settings.outcome))
    frames |= register_header(frames["national_indicators"])
    manifest = folder / "manifest.json"
    source = {"name": folder.name, "manifest_sha256": tables.file_digest(manifest) if manifest.exists() else None}
    record = provenance.provenance(
        run_id=run_id,
        store_path=folder,
        snapshot=source,
        read=[],
        settings=settings,
        started=started,
        finished=provenance.utc_now(),
    ) | {"engine": engine, "kind": layout.REGISTER}
    return read_run(layout.publish(folder, record, frames))


def register_header(indicators: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The report header's tables for a register's run (`polku.reports.header`): its areas,
    the data's last date over them, and no imports (a register is read as it stands; its
    manifest's digest is in the provenance)."""
    from polku.reports.header import IMPORTS, compute_header_frames

    end = pd.to_datetime(indicators["data_end"]).max() if len(indicators) else None
    areas = sorted(str(a) for a in indicators["area"])
    return compute_header_frames(areas, None if end is None or pd.isna(end) else end.date(), [], IMPORTS)
