"""The self-contained HTML report of what the store holds, built from registered sections.

Add a section by writing a module in `polku.reports.sections` with a `compute(store,
analysis) -> tables` and a `render(results, context) -> blocks` registered with
`register(...)`; the report renders from an analysis run's tables (see docs/report.md).
"""

from __future__ import annotations

from pathlib import Path

from polku.reports.registry import Section, register, sections
from polku.store import Store

__all__ = ["Section", "build_report", "register", "sections"]


def build_report(store: Store, out_path: Path, *, lang: str = "en") -> Path:
    """Write the report in `lang` (fi, sv or en) to `out_path` and return the path."""
    from polku.i18n import LANGUAGES
    from polku.reports.render import write_report

    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return write_report(store, out_path, lang)
