"""The report's tables as CSV files in one ZIP archive, for programs rather than people.

The same cells as the workbook (`reports/xlsx.py`: from the rendered report, hidden cells
`..`, numbers as numbers), so no second suppression rule exists; one archive rather than a
folder, so the one output writer can write it atomically and owner-only like every other
format, and recognise it by its manifest before replacing it.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Sequence

from polku.reports.blocks import Table
from polku.reports.render import RenderedSection
from polku.reports.xlsx import ReportFacts, about_rows, cell_value, table_sheets

CSV_MANIFEST = "manifest.json"


def csv_zip_bytes(facts: ReportFacts, sections: Sequence[RenderedSection]) -> bytes:
    """The report's tables as CSV files in one ZIP: `about.csv`, then one file per table
    sheet (same order, cells and hidden `..` as the workbook), and a manifest naming Polku
    (the marker `polku.outputs` looks for). Text that a spreadsheet would run as a formula
    starts with an apostrophe."""
    tables = table_sheets(sections, facts.ctx.t("formats.about_sheet"))
    files = {"about.csv": _csv([(label, str(value)) for label, value in about_rows(facts)], facts.ctx.lang)}
    for number, entry in enumerate(tables, start=1):
        rows = [entry.table.header, *entry.table.rows, *([entry.table.foot] if entry.table.foot else [])]
        files[f"{number:02d}-{entry.table.id}.csv"] = _csv(rows, facts.ctx.lang)
    manifest = {"generator": f"polku {facts.version}", "title": facts.ctx.t("report.title"), "files": list(files)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CSV_MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def table_csv(table: Table, lang: str) -> str:
    """One table block as CSV text (header, rows, totals row), cells as in the archive: the
    web's download of a single table."""
    return _csv([table.header, *table.rows, *([table.foot] if table.foot else [])], lang)


def _csv(rows: Iterable[Sequence[str]], lang: str) -> str:
    """UTF-8 CSV (with a byte order mark, so that Excel reads ä and ö) of cells as the
    workbook holds them: numbers plain with a decimal point, `..` and words as text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for cells in rows:
        writer.writerow([cells[0] and _inert(cells[0]), *(_csv_cell(text, lang) for text in cells[1:])])
    return "\ufeff" + out.getvalue()


def _csv_cell(text: str, lang: str) -> str:
    value, _ = cell_value(text, lang)
    if value is None:
        return ""
    return _inert(value) if isinstance(value, str) else repr(value)


def _inert(text: str) -> str:
    """Text that starts like a formula (=, +, -, @, tab, CR) gets a leading apostrophe."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
