"""`polku report`: the report of a stored analysis run, in any format, never fitted.

Every section renders from the run's tables alone, so the report opens neither the store
nor a snapshot: it cannot take the store's lock, and it shows exactly what the run holds.
"""

from __future__ import annotations

from pathlib import Path

from polku.runs.read import LATEST, Run, open_run


def run_report(
    store_path: Path, out_path: Path, *, run: str = LATEST, lang: str = "en", fmt: str | None = None
) -> tuple[Path, Run]:
    """Render run `run` of the store into `out_path` as `fmt` (None: from the suffix) through
    the one output writer; the path written and the run."""
    from polku.reports.formats import write_report_as

    chosen = open_run(store_path, run)
    return write_report_as(fmt, chosen.tables, out_path, lang=lang, run=chosen.header), chosen
