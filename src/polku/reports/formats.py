"""The report in each output format: HTML, PDF (printed from that HTML), XLSX and CSV (its tables).

Why one module: every format starts from the same rendering (`render.render_sections`,
whose tables have already passed the disclosure gate) and ends in the one output writer
(`polku.outputs.write_output`: path guard, atomic, owner-only); only the step between
differs. The CLI calls `write_report_as` and knows nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from polku import __version__
from polku.errors import UsageError
from polku.i18n import LANGUAGES, t
from polku.outputs import check_writable, write_output
from polku.reports import header
from polku.reports.context import RunHeader
from polku.reports.registry import Results
from polku.reports.render import RenderedSection, make_context, render_html, render_sections

if TYPE_CHECKING:
    from polku.reports.xlsx import ReportFacts

FORMATS = ("html", "pdf", "xlsx", "csv")
SUFFIXES = {".pdf": "pdf", ".xlsx": "xlsx", ".zip": "csv", ".html": "html", ".htm": "html"}

Writer = Callable[[Results, str, RunHeader | None], str | bytes]


def format_for(out_path: Path, fmt: str | None) -> str:
    """The format asked for, or the one the file name's suffix names, else HTML."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise UsageError(f"unknown report format {fmt!r}", fix=f"use one of {', '.join(FORMATS)}.")
        return fmt
    return SUFFIXES.get(Path(out_path).suffix.lower(), "html")


def write_report_as(fmt: str | None, results: Results, out_path: Path, *, lang: str, run: RunHeader | None = None) -> Path:
    """Write the report of a run's tables `results` in `fmt` (html, pdf, xlsx or csv; None:
    from the suffix of `out_path`) through the output writer; `run` names the run."""
    if lang not in LANGUAGES:
        raise UsageError(f"unknown report language {lang!r}", fix=f"use one of {', '.join(LANGUAGES)}.")
    writer = _WRITERS[format_for(out_path, fmt)]
    check_writable(out_path)  # before the rendering's work
    return write_output(out_path, writer(results, lang, run))


def _html(results: Results, lang: str, run: RunHeader | None) -> str:
    return render_html(results, lang, run)


def _pdf(results: Results, lang: str, run: RunHeader | None) -> bytes:
    from polku.reports.pdf import chromium, print_pdf

    chromium()  # a missing Chromium is said before the rendering's work
    return print_pdf(render_html(results, lang, run), title=t("report.title", lang), version=__version__)


def _xlsx(results: Results, lang: str, run: RunHeader | None) -> bytes:
    from polku.reports.xlsx import workbook_bytes  # openpyxl only for a workbook

    return workbook_bytes(*rendered_report(results, lang, run))


def _csv(results: Results, lang: str, run: RunHeader | None) -> bytes:
    from polku.reports.csv_zip import csv_zip_bytes

    return csv_zip_bytes(*rendered_report(results, lang, run))


def rendered_report(results: Results, lang: str, run: RunHeader | None = None) -> tuple[ReportFacts, list[RenderedSection]]:
    """The header facts and the sections of the report, rendered as `render_html` renders them."""
    from polku.reports.xlsx import ReportFacts

    ctx = make_context(results, lang, run)
    areas = ", ".join(header.areas(results)) or ctx.t("common.not_given")
    return ReportFacts(ctx, areas, __version__), render_sections(results, ctx)


_WRITERS: dict[str, Writer] = {"html": _html, "pdf": _pdf, "xlsx": _xlsx, "csv": _csv}
