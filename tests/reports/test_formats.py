"""The report as XLSX and PDF: the same tables and hidden cells as the HTML, through the one writer."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import time
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polku import __version__
from polku.errors import PolkuError, UsageError
from polku.i18n import t
from polku.outputs import is_polku_output, write_output
from polku.pipeline.settings import AnalysisContext
from polku.reports import pdf
from polku.reports.blocks import Table
from polku.reports.compute import compute_sections
from polku.reports.context import ReportContext, RunHeader
from polku.reports.formats import format_for, rendered_report, write_report_as
from polku.reports.render import RenderedSection
from polku.reports.xlsx import HEADER_ROW, SHEET_NAME_LENGTH, ReportFacts, cell_value, sheet_names, workbook_bytes
from polku.store import Store, open_store

_TABLES: dict[Path, dict[str, pd.DataFrame]] = {}


def run_tables(store: Store) -> dict[str, pd.DataFrame]:
    """The store's run tables, computed once per store (as `polku analyse` would store them)."""
    if store.path not in _TABLES:
        _TABLES[store.path] = compute_sections(store, AnalysisContext())
    return _TABLES[store.path]


RUN = RunHeader("run-2026-0042", datetime(2026, 12, 1, 8, 30, tzinfo=UTC), 17, date(2026, 3, 31), "0.1.0")


@pytest.fixture(scope="module")
def workbook(filled_store: Store, tmp_path_factory: pytest.TempPathFactory) -> tuple[openpyxl.Workbook, list[Table]]:
    """The fi workbook of the small store and the table blocks the HTML renders from."""
    path = write_report_as("xlsx", run_tables(filled_store), tmp_path_factory.mktemp("xlsx") / "report.xlsx", lang="fi")
    _, sections = rendered_report(run_tables(filled_store), "fi")
    tables = [block for section in sections for block in section.blocks if isinstance(block, Table)]
    return openpyxl.load_workbook(path), tables


def _number(text: str) -> float:
    """The number a cell shows, read independently of `cell_value` (fi style)."""
    return float(text.replace("\u202f", "").replace(",", ".").replace("%", "").replace(" ", ""))


def test_one_sheet_per_table_after_the_about_sheet(workbook: tuple[openpyxl.Workbook, list[Table]]) -> None:
    book, tables = workbook
    assert len(tables) >= 10
    assert book.sheetnames[0] == t("formats.about_sheet", "fi") == "Tietoja"
    assert len(book.sheetnames) == len(tables) + 1
    for name, table in zip(book.sheetnames[1:], tables, strict=True):
        assert book[name]["A1"].value == table.caption


def test_every_cell_equals_the_html_table_and_hidden_cells_stay_hidden(workbook: tuple[openpyxl.Workbook, list[Table]]) -> None:
    book, tables = workbook
    hidden = numbers = 0
    for name, table in zip(book.sheetnames[1:], tables, strict=True):
        sheet = book[name]
        assert [c.value for c in sheet[HEADER_ROW]] == list(table.header)
        for offset, cells in enumerate([*table.rows, *([table.foot] if table.foot else [])], start=1):
            got = [c.value for c in sheet[HEADER_ROW + offset]][: len(cells)]
            assert got[0] == cells[0]
            for text, value in zip(cells[1:], got[1:], strict=True):
                if isinstance(value, int | float):
                    numbers += 1
                    scale = 100 if text.endswith("%") else 1
                    assert value * scale == pytest.approx(_number(text)), (name, text, value)
                else:
                    assert value == (text or None), (name, text, value)
                    hidden += text == ".."
    assert hidden >= 2 and numbers >= 50


def test_the_small_swedish_group_is_hidden_in_the_same_cells(workbook: tuple[openpyxl.Workbook, list[Table]]) -> None:
    book, tables = workbook
    index = next(i for i, table in enumerate(tables) if table.id == "clients-mother_tongue_group")
    sheet = book[book.sheetnames[index + 1]]
    rows = {row[0]: row[1:3] for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)}
    assert rows["ruotsinkielinen"] == ("..", "..")  # 3 people
    assert rows["muunkielinen"] == ("..", "..")  # its partner, 10
    assert rows["suomenkielinen"] == (27, 67.5)
    assert sheet.cell(row=HEADER_ROW + 1, column=2).number_format == "#,##0"


def test_the_about_sheet_gives_the_report_and_run_facts(filled_store: Store) -> None:
    facts, sections = rendered_report(run_tables(filled_store), "en", run=RUN)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(facts, sections)))
    about = book["About"]
    assert about["A1"].value == t("report.title", "en")
    pairs = {row[0]: row[1] for row in about.iter_rows(min_row=2, values_only=True) if row[0]}
    assert pairs[t("report.area", "en")] == facts.areas
    assert pairs[t("report.threshold", "en")] == facts.ctx.threshold
    assert pairs[t("report.version", "en")] == f"Polku {__version__}"
    assert pairs[t("formats.run_id", "en")] == "run-2026-0042"
    assert pairs[t("formats.seed", "en")] == 17
    assert pairs[t("formats.as_of", "en")] == "2026-03-31"
    assert t("report.sdc_intro", "en", threshold=facts.ctx.threshold) in pairs
    listed = [row[0] for row in about.iter_rows(values_only=True) if row[0] in book.sheetnames[1:]]
    assert listed == book.sheetnames[1:]
    assert book.properties.creator == f"Polku {__version__}"


def test_no_run_line_without_a_run(workbook: tuple[openpyxl.Workbook, list[Table]]) -> None:
    about = workbook[0].worksheets[0]
    assert t("formats.run_id", "fi") not in [row[0] for row in about.iter_rows(values_only=True)]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("2\u202f000", "fi", (2000, "#,##0")),
        ("-298\u202f902", "fi", (-298902, "#,##0")),
        ("18,6", "fi", (18.6, "#,##0.0")),
        ("18.6", "en", (18.6, "#,##0.0")),
        ("2,01", "sv", (2.01, "#,##0.00")),
        ("+14,9", "fi", (14.9, "+#,##0.0;-#,##0.0;#,##0.0")),
        ("\u221213,3", "fi", (-13.3, "#,##0.0")),
        ("93 %", "fi", (0.93, "0%")),
        ("93%", "en", (0.93, "0%")),
        ("12,5 %", "fi", (0.125, "0.0%")),
        ("..", "fi", ("..", None)),
        ("", "fi", (None, None)),
        ("18.6", "fi", ("18.6", None)),
        ("2021", "fi", ("2021", None)),
        ("-13,3 … +8,6", "fi", ("-13,3 … +8,6", None)),
        ("< 1 %", "fi", ("< 1 %", None)),
        ("2,01 (1,43)", "fi", ("2,01 (1,43)", None)),
    ],
)
def test_cell_value_turns_a_printed_number_back_into_a_number(text: str, lang: str, expected: tuple[object, object]) -> None:
    assert cell_value(text, lang) == expected


def test_sheet_names_are_valid_unique_and_short() -> None:
    names = sheet_names(["Clients: by age [years]?", "a" * 40, "a" * 40, "'quoted'", "About"], taken=["About"])
    assert names[0] == "1 Clients by age years"
    assert names[1] == "2 " + "a" * 28 + "…" and len(names[1]) == SHEET_NAME_LENGTH
    assert names[2].startswith("3 aaa") and len(names[2]) <= SHEET_NAME_LENGTH
    assert names[3] == "4 'quoted"
    assert names[4] == "5 About"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=50), max_size=25))
def test_any_titles_give_names_excel_accepts(titles: list[str]) -> None:
    names = sheet_names(titles + titles, taken=["About"])
    assert len({n.casefold() for n in names} | {"about"}) == len(names) + 1
    for name in names:
        assert 0 < len(name) <= SHEET_NAME_LENGTH
        assert not re.search(r"[\[\]:*?/\\]", name) and not name.startswith("'") and not name.endswith("'")
    book = openpyxl.Workbook()
    for name in names:
        book.create_sheet(name)  # openpyxl refuses an invalid name


def test_a_label_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    ctx = ReportContext(lang="en", threshold=10, generated_at=datetime(2026, 1, 1, tzinfo=UTC))
    table = Table(id="t", caption="=HYPERLINK(1)", header=("=cmd", "n"), rows=(("=1+1", "12"), ("@x", "..")))
    data = workbook_bytes(ReportFacts(ctx, "=area", "0.1.0"), [RenderedSection("s", "S", (table,))])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[1]
    assert [(c.value, c.data_type) for c in sheet[HEADER_ROW + 1]] == [("=1+1", "s"), (12, "n")]
    assert sheet["A1"].data_type == "s" and sheet.cell(row=HEADER_ROW, column=1).value == "=cmd"


def test_format_from_the_option_or_the_suffix() -> None:
    assert format_for(Path("r.PDF"), None) == "pdf"
    assert format_for(Path("r.xlsx"), None) == "xlsx"
    assert format_for(Path("r.txt"), None) == "html"
    assert format_for(Path("r.pdf"), "xlsx") == "xlsx"
    with pytest.raises(UsageError, match="unknown report format"):
        format_for(Path("r.pdf"), "docx")


def test_the_store_and_a_foreign_workbook_are_never_overwritten(filled_store: Store, tmp_path: Path) -> None:
    before = filled_store.path.stat().st_mtime_ns
    for fmt in ("xlsx", "pdf"):
        with pytest.raises(UsageError, match="Polku did not write it"):
            write_report_as(fmt, run_tables(filled_store), filled_store.path, lang="en")
    assert filled_store.path.stat().st_mtime_ns == before
    foreign = tmp_path / "budget.xlsx"
    openpyxl.Workbook().save(foreign)
    with pytest.raises(UsageError, match="refusing to overwrite"):
        write_output(foreign, b"x")
    assert is_polku_output(foreign) is False


def test_a_polku_workbook_is_replaced_owner_only(filled_store: Store, tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    write_report_as(None, run_tables(filled_store), target, lang="sv")
    assert is_polku_output(target) and target.stat().st_mode & 0o777 == 0o600
    write_report_as(None, run_tables(filled_store), target, lang="en")
    assert openpyxl.load_workbook(target).sheetnames[0] == "About"


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n2 0 obj\n<</Type /Pages /Kids [3 0 R] /Count 1>>\nendobj\n"
    b"3 0 obj\n<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>>\nendobj\n"
)


def _minimal_pdf() -> bytes:
    offsets = [MINIMAL_PDF.index(b"%d 0 obj" % number) for number in (1, 2, 3)]
    xref = b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return MINIMAL_PDF + xref + b"trailer\n<</Size 4\n/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % len(MINIMAL_PDF)


def test_the_pdf_mark_is_an_incremental_update_that_names_polku(tmp_path: Path) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(_minimal_pdf())
    assert is_polku_output(plain) is False
    marked = pdf.mark_pdf(plain.read_bytes(), title="Työllisyys – raportti", version="0.1.0")
    assert marked.startswith(plain.read_bytes())
    (tmp_path / "marked.pdf").write_bytes(marked)
    assert is_polku_output(tmp_path / "marked.pdf")
    document = pdfium.PdfDocument(marked)
    try:
        assert len(document) == 1
        assert document.get_metadata_dict()["Title"] == "Työllisyys – raportti"
        assert document.get_metadata_dict()["Creator"] == "Polku 0.1.0"
    finally:
        document.close()
    with pytest.raises(PolkuError, match="unexpected layout"):
        pdf.mark_pdf(b"%PDF-1.7\n%%EOF\n", title="x", version="1")


def test_a_missing_chromium_is_one_line_naming_the_package(
    filled_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    with pytest.raises(UsageError) as error:
        write_report_as("pdf", run_tables(filled_store), tmp_path / "r.pdf", lang="en")
    assert "\n" not in str(error.value) and "apt-get install chromium" in str(error.value)
    assert not (tmp_path / "r.pdf").exists()


def test_a_printer_that_hangs_is_stopped_with_its_children() -> None:
    """A duration no other process is likely to sleep, matched as a whole command line: a
    substring would also match another program's `sleep 300` on the same machine."""
    started = time.monotonic()
    with pytest.raises(PolkuError, match="did not print the PDF within 1 s"):
        pdf._run(["sh", "-c", "sleep 30.417 & sleep 30.417"], timeout=1)
    assert time.monotonic() - started < 10
    commands = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout.splitlines()
    assert "sleep 30.417" not in [line.strip() for line in commands]


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium (/usr/bin/chromium) is not installed")
def test_the_pdf_is_printed_from_the_html_on_a4_pages(filled_store: Store, tmp_path: Path) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    target = write_report_as("pdf", run_tables(filled_store), tmp_path / "report.pdf", lang="fi")
    assert target.stat().st_mode & 0o777 == 0o600 and is_polku_output(target)
    _, sections = rendered_report(run_tables(filled_store), "fi")
    document = pdfium.PdfDocument(target)
    try:
        assert len(sections) + 1 <= len(document) <= 4 * (len(sections) + 1)  # a page per section, after the header
        for index in range(len(document)):
            width, height = document.get_page_size(index)
            assert (width, height) == (pytest.approx(595.3, abs=1), pytest.approx(841.9, abs=1))  # A4 in points
        first = document[0].get_textpage().get_text_range()
        assert t("report.title", "fi") in first
        assert document.get_metadata_dict()["Creator"] == f"Polku {__version__}"
        pixels = document[1].render(scale=0.5).to_numpy()
        inked = (pixels[:, :, :3].min(axis=2) < 200).mean()
        assert 0.005 < inked < 0.5, inked
    finally:
        document.close()
    write_report_as("pdf", run_tables(filled_store), target, lang="en")  # an earlier PDF of Polku's may be replaced


def test_the_cli_writes_the_format_the_suffix_names(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from polku.cli import main

    store_path = tmp_path / "polku.duckdb"
    open_store(store_path).close()
    assert CliRunner().invoke(main, ["analyse", "--store", str(store_path)]).exit_code == 0
    result = CliRunner().invoke(main, ["report", "--store", str(store_path), "--out", str(tmp_path / "r.xlsx"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames == ["About"]
    result = CliRunner().invoke(main, ["report", "--store", str(store_path), "--out", str(store_path), "--format", "xlsx"])
    assert result.exit_code == 2 and "Polku did not write it" in result.output


def test_chromium_is_found_on_the_path() -> None:
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("no chromium on PATH")
    assert Path(pdf.chromium()).name.startswith("chromium")


def test_the_csv_archive_holds_each_table_with_the_same_hidden_cells(
    workbook: tuple[openpyxl.Workbook, list[Table]], filled_store: Store, tmp_path: Path
) -> None:
    _, tables = workbook
    target = write_report_as(None, run_tables(filled_store), tmp_path / "tables.zip", lang="fi")
    assert is_polku_output(target) and target.stat().st_mode & 0o777 == 0o600
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert names == ["manifest.json", "about.csv", *(f"{n:02d}-{t.id}.csv" for n, t in enumerate(tables, start=1))]
        for name, table in zip(names[2:], tables, strict=True):
            text = archive.read(name).decode("utf-8")
            assert text.startswith("\ufeff")
            rows = list(csv.reader(io.StringIO(text[1:])))
            expected = [table.header, *table.rows, *([table.foot] if table.foot else [])]
            assert len(rows) == len(expected) and rows[0] == list(table.header)
            for got, cells in zip(rows[1:], expected[1:], strict=True):
                assert got[0] == cells[0]
                for value, shown in zip(got[1:], cells[1:], strict=True):
                    if shown == ".." or not re.fullmatch(r"[-+]?[\d\u202f]+(,\d+)?( ?%)?", shown):
                        inert = "'" + shown if shown[:1] in ("=", "+", "-", "@") else shown
                        assert value == inert, (name, shown, value)  # words, ranges and `..` as shown
                    else:
                        scale = 100 if shown.endswith("%") else 1
                        assert float(value) * scale == pytest.approx(_number(shown)), (name, shown, value)
        about = list(csv.reader(io.StringIO(archive.read("about.csv").decode("utf-8")[1:])))
        assert [t("report.threshold", "fi"), "10"] in about


def test_a_zip_polku_did_not_write_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "tables.zip"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("manifest.json", '{"generator": "other 1.0"}')
    assert is_polku_output(foreign) is False
    with pytest.raises(UsageError, match="refusing to overwrite"):
        write_output(foreign, b"x")


def test_csv_text_that_looks_like_a_formula_is_made_inert() -> None:
    from polku.reports.csv_zip import _csv

    text = _csv([("Service", "n", "range"), ("=cmd|' /C calc'!A0", "-13,3", "-13,3 … +8,6"), ("@x", "..", "")], "fi")
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        ["Service", "n", "range"],
        ["'=cmd|' /C calc'!A0", "-13.3", "'-13,3 … +8,6"],
        ["'@x", "..", ""],
    ]
