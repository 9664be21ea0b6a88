"""The report as a workbook: one sheet per table of the rendered report, after an "About" sheet.

Why from the rendered sections and not from the store or the run's tables: the HTML report
has already passed every table through the disclosure gate (`polku.sdc`), so a sheet holds
exactly the cells the HTML shows, `..` where the HTML hides a value; there is no second
suppression rule to keep in step. A shown number becomes a number again (`cell_value`), so
an analyst can sum and chart it, with the decimals, sign and percent the HTML printed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from polku import sdc
from polku.reports.blocks import Table
from polku.reports.context import ReportContext
from polku.reports.render import RenderedSection

SHEET_NAME_LENGTH = 31
"""Excel's limit on a sheet name."""
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
RESERVED_SHEET_NAMES = frozenset({"history"})
"""Excel keeps the name "History" for itself."""

HEADER_ROW = 4
"""Row of a table sheet's column headings: caption in row 1, section title in row 2."""
_DECIMAL = {"fi": ",", "sv": ",", "en": "."}


@dataclass(frozen=True)
class ReportFacts:
    """The report header's facts, as the HTML header shows them."""

    ctx: ReportContext
    areas: str
    version: str


@dataclass(frozen=True)
class SheetTable:
    """A table block, the section it belongs to and the sheet it goes on."""

    sheet: str
    section: str
    table: Table


def cell_value(text: str, lang: str) -> tuple[str | int | float | None, str | None]:
    """A table cell as the workbook keeps it: (value, number format or None).

    A number the report printed ("2 000", "-13,3", "+14,9", "93 %") becomes a number with a
    format that shows it the same way; the hidden marker `..`, words and ranges stay text,
    and an empty cell stays empty.
    """
    if text == "":
        return None, None
    match = _number_pattern(lang).fullmatch(text)
    if match is None:
        return text, None
    sign, whole, fraction, percent = match.groups()
    digits = whole.replace("\u202f", "")
    number: int | float = float(f"{digits}.{fraction}") if fraction else int(digits)
    if sign in ("-", "\u2212"):
        number = -number
    return _scaled(number, percent, len(fraction or ""), sign == "+")


def _number_pattern(lang: str) -> re.Pattern[str]:
    decimal = re.escape(_DECIMAL.get(lang, "."))
    return re.compile(rf"([+\-\u2212]?)(\d{{1,3}}(?:\u202f\d{{3}})*)(?:{decimal}(\d+))?(\s?%)?")


def _scaled(number: int | float, percent: str | None, decimals: int, signed: bool) -> tuple[int | float, str]:
    """The value and an Excel number format with the same decimals, sign and percent."""
    digits = "0" + ("." + "0" * decimals if decimals else "")
    if percent:
        value: int | float = round(number / 100, decimals + 2)
        shape = f"{digits}%"
    else:
        value = number
        shape = f"#,##{digits}"
    return value, (f"+{shape};-{shape};{shape}" if signed else shape)


def sheet_names(titles: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """Valid, unique sheet names for `titles`: numbered, forbidden characters removed, at
    most 31 characters (a cut title ends in "…"), unique without regard to case."""
    used = {name.casefold() for name in taken} | RESERVED_SHEET_NAMES
    names = []
    for number, title in enumerate(titles, start=1):
        clean = _SHEET_FORBIDDEN.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", title))
        base = re.sub(r"\s+", " ", f"{number} {clean}").strip().strip("'").strip()
        name = base if len(base) <= SHEET_NAME_LENGTH else base[: SHEET_NAME_LENGTH - 1].rstrip() + "…"
        suffix = 2
        while name.casefold() in used:
            tail = f" ({suffix})"
            name, suffix = base[: SHEET_NAME_LENGTH - len(tail)].rstrip() + tail, suffix + 1
        used.add(name.casefold())
        names.append(name)
    return names


def table_sheets(sections: Sequence[RenderedSection], about: str) -> list[SheetTable]:
    """Every table block of the rendered report, in report order, with its sheet name."""
    found = [(s.title, b) for s in sections for b in s.blocks if isinstance(b, Table)]
    names = sheet_names((table.caption or table.id for _, table in found), taken=[about])
    return [SheetTable(name, section, table) for name, (section, table) in zip(names, found)]


def workbook_bytes(facts: ReportFacts, sections: Sequence[RenderedSection]) -> bytes:
    """The report's workbook as bytes (for `polku.outputs.write_output`)."""
    workbook = Workbook()
    workbook.properties.creator = f"Polku {facts.version}"
    workbook.properties.title = facts.ctx.t("report.title")
    about = workbook.active
    assert about is not None  # a new workbook always has one sheet
    about.title = facts.ctx.t("formats.about_sheet")
    tables = table_sheets(sections, about.title)
    _write_about(about, facts, tables)
    for entry in tables:
        _write_table(workbook.create_sheet(entry.sheet), entry, facts.ctx.lang)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def about_rows(facts: ReportFacts) -> list[tuple[str, str | int]]:
    """(label, value) pairs of the About sheet: the header facts, then the run's, when set."""
    ctx = facts.ctx
    rows: list[tuple[str, str | int]] = [
        (ctx.t("report.area"), facts.areas),
        (ctx.t("report.extraction_date"), ctx.extraction_date.isoformat() if ctx.extraction_date else ctx.t("common.not_given")),
        (ctx.t("report.generated"), f"{ctx.generated_at:%Y-%m-%d %H:%M} UTC"),
        (ctx.t("report.version"), f"Polku {facts.version}"),
        (ctx.t("report.threshold"), ctx.threshold),
    ]
    if ctx.run is not None:
        rows += [
            (ctx.t("formats.run_id"), ctx.run.run_id),
            (ctx.t("formats.run_finished"), f"{ctx.run.finished_at:%Y-%m-%d %H:%M} UTC"),
            (ctx.t("formats.seed"), ctx.run.seed),
            (ctx.t("formats.as_of"), ctx.run.as_of.isoformat() if ctx.run.as_of else ctx.t("common.not_given")),
        ]
    return rows


def _write_about(sheet: Worksheet, facts: ReportFacts, tables: Sequence[SheetTable]) -> None:
    ctx = facts.ctx
    _put(sheet, 1, 1, ctx.t("report.title")).font = Font(bold=True, size=14)
    row = 3
    for label, value in about_rows(facts):
        _put(sheet, row, 1, label).font = Font(bold=True)
        _put(sheet, row, 2, value)
        row += 1
    _put(sheet, row + 1, 1, ctx.t("report.sdc_intro", threshold=ctx.threshold)).alignment = Alignment(wrap_text=True)
    sheet.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=3)
    sheet.row_dimensions[row + 1].height = 60
    row += 3
    for column, heading in enumerate((ctx.t("formats.sheet"), ctx.t("formats.table"), ctx.t("formats.section")), start=1):
        _put(sheet, row, column, heading).font = Font(bold=True)
    for entry in tables:
        row += 1
        link = _put(sheet, row, 1, entry.sheet)
        link.hyperlink = f"#'{entry.sheet}'!A1"
        link.font = Font(underline="single", color="2F6F8F")
        _put(sheet, row, 2, entry.table.caption)
        _put(sheet, row, 3, entry.section)
    _widths(sheet, (34, 70, 30))


def _write_table(sheet: Worksheet, entry: SheetTable, lang: str) -> None:
    table = entry.table
    _put(sheet, 1, 1, table.caption).font = Font(bold=True, size=12)
    _put(sheet, 2, 1, entry.section).font = Font(italic=True)
    for column, heading in enumerate(table.header, start=1):
        _put(sheet, HEADER_ROW, column, heading).font = Font(bold=True)
    body = [*table.rows, *([table.foot] if table.foot else [])]
    for offset, cells in enumerate(body, start=1):
        bold = table.foot is not None and offset == len(body)
        _write_row(sheet, HEADER_ROW + offset, cells, lang, bold)
    if table.note:
        _put(sheet, HEADER_ROW + len(body) + 2, 1, table.note)
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=2)
    _widths(sheet, _column_widths(table.header, body))


def _write_row(sheet: Worksheet, row: int, cells: Sequence[str], lang: str, bold: bool) -> None:
    """A row label as text, then each cell as `cell_value` reads it, right-aligned as in the HTML."""
    _put(sheet, row, 1, cells[0]).font = Font(bold=bold)
    for column, text in enumerate(cells[1:], start=2):
        value, number_format = cell_value(text, lang)
        cell = _put(sheet, row, column, value)
        if number_format is not None:
            cell.number_format = number_format
        cell.alignment = Alignment(horizontal="right")
        cell.font = Font(bold=bold, color="5B6B78" if text == sdc.MARKER else None)


def _put(sheet: Worksheet, row: int, column: int, value: str | int | float | None) -> Cell:
    """Set a cell; text is always text, never a formula (a label that starts with "=" stays
    a label), and characters a workbook cannot hold are dropped."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def _column_widths(header: Sequence[str], body: Sequence[Sequence[str]]) -> list[float]:
    columns = zip(header, *body, strict=False)
    return [min(60.0, max(8.0, *(len(text) + 2.0 for text in column))) for column in columns]


def _widths(sheet: Worksheet, widths: Iterable[float]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
