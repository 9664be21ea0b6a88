"""`polku analyse`: compute every section's tables once, from a read snapshot, and store the run.

Why from a snapshot: the analysis never holds the store's lock, so an import can run while
an analysis runs (and the other way round); the run records which snapshot and which
imports it read, so its figures are tied to that data even after the store moves on.
"""

from __future__ import annotations

from pathlib import Path

from polku.pipeline.settings import AnalysisContext, AnalysisSettings
from polku.runs import layout, provenance
from polku.runs.read import Run, read_run
from polku.store.connection import store_target
from polku.store.snapshots import describe, open_snapshot


def analyse(store_path: Path | str | None = None, settings: AnalysisSettings | None = None) -> Run:
    """Compute every report section's tables over the store's newest snapshot and publish
    them, with their provenance, as a new run; the run."""
    from polku.reports.compute import ReportStore, compute_sections

    settings = settings or AnalysisSettings()
    target = store_target(store_path)
    started = provenance.utc_now()
    run_id = layout.new_run_id(started)
    with open_snapshot(target) as snapshot:
        frames = compute_sections(snapshot.shared_as(ReportStore), AnalysisContext(settings))
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
    )
    return read_run(layout.publish(target, record, frames))
