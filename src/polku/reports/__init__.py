"""The self-contained HTML report of what the store holds, built from registered sections.

Add a section by writing a module in `polku.reports.sections` with a `compute(store,
analysis) -> tables` and a `render(results, context) -> blocks` registered with
`register(...)`; the report renders from an analysis run's tables (see docs/report.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from polku.reports.registry import Results, Section, register, sections
from polku.store import Store

if TYPE_CHECKING:
    from polku.reports.context import RunHeader

__all__ = ["Section", "build_report", "build_run_report", "register", "sections"]


def _check_language(lang: str) -> None:
    from polku.i18n import LANGUAGES

    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; use one of {', '.join(LANGUAGES)}")


def build_report(store: Store, out_path: Path, *, lang: str = "en") -> Path:
    """Write the report in `lang` (fi, sv or en) to `out_path`, computed from the store now."""
    from polku.reports.render import write_report

    _check_language(lang)
    return write_report(store, out_path, lang)


def build_run_report(results: Results, out_path: Path, *, lang: str = "en", run: RunHeader | None = None) -> Path:
    """Write the report of a stored run (its tables and header) to `out_path`, without a store."""
    from polku.reports.render import write_run_report

    _check_language(lang)
    return write_run_report(results, out_path, lang, run)
