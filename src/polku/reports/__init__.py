"""The self-contained HTML report of what the store holds, built from registered sections.

Add a section by writing a module in `polku.reports.sections` with a `compute(store,
analysis) -> tables` and a `render(results, context) -> blocks` registered with
`register(...)`; the report renders from an analysis run's tables (see docs/report.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from polku.reports.registry import Results, Section, register, sections

if TYPE_CHECKING:
    from polku.store import Store

__all__ = ["Results", "Section", "build_report", "register", "sections"]


def build_report(store: Store, out_path: Path, *, lang: str = "en", fmt: str | None = None) -> Path:
    """Compute every section from `store` and write the report to `out_path` in one process.

    For tests and notebooks; the command line stores the tables as a run first
    (`polku analyse`) and renders the run (`polku report --run`).
    """
    from polku.pipeline.settings import AnalysisContext
    from polku.reports.compute import compute_sections
    from polku.reports.formats import write_report_as

    return write_report_as(fmt, compute_sections(store, AnalysisContext()), out_path, lang=lang)
