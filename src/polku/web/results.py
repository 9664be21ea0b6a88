"""The web reads analysis runs: report sections rendered from the latest run, for pages and downloads.

Why the report's own sections: the web must show the same figures as the report, from the
same stored tables, through the same disclosure gate, and never fit anything. A section's
`render(results, context)` already gives gated blocks (key figures, tables, charts, notes);
the web turns them into page data, JSON, CSV and XLSX. Exact figures are the same sections
rendered with the threshold 1, at which the gate hides nothing (analysts only, audited).

A run never changes once published, so what is read or worked out from one is kept per
process, bounded, least recently used out first (`polku.store.kept.Memo`): each run's
run.json and parsed tables (`latest_run` lists the runs' folders on every call, so a new run
is seen at once), the report's context per run, language and gate, and each section's
rendering per run, section, language and threshold (its charts can take seconds).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from polku import __version__, sdc
from polku.errors import PolkuError, UsageError
from polku.reports import header
from polku.reports.blocks import Block, Chart, Note, Table
from polku.reports.context import ReportContext
from polku.reports.csv_zip import table_csv
from polku.reports.registry import Section, sections
from polku.reports.render import RenderedSection, make_context
from polku.reports.xlsx import ReportFacts, cell_value, workbook_bytes
from polku.runs import layout
from polku.runs.read import Run, open_run, read_run
from polku.store.kept import Memo

EXACT_THRESHOLD = 1
"""The gate at 1 hides nothing (`sdc.is_sensitive`: 0 < n < 1): the analyst's exact view."""
CACHE_SIZE = 96
"""Section renderings kept (a few sections in three languages, gated and exact, of the latest runs)."""
RUNS_KEPT = 64
"""Runs kept open (their run.json, and each table once read); a store's runs beyond it are read again."""
SVG_NAMESPACES = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '

_blocks = Memo(CACHE_SIZE)
_runs = Memo(RUNS_KEPT)
_contexts = Memo(CACHE_SIZE)


def _run(folder: Path) -> Run:
    return _runs.get(folder, lambda: read_run(folder))


def latest_run(store_path: Path) -> Run | None:
    """The store's latest analysis run (the last to finish, as `polku.runs.read.open_run`), or
    None when there is none yet; each run read once per process."""
    found = [_run(folder) for folder in layout.run_folders(Path(store_path))]
    return max(found, key=lambda run: (run.provenance["finished_at"], run.run_id), default=None)


@functools.cache
def register_sections() -> frozenset[str]:
    """The sections that render a national register's run (`polku.runs.layout.REGISTER`);
    worked out once per process, since listing the sections reads the package's folder."""
    return frozenset(s.id for s in sections(layout.REGISTER))


def run_by_id(store_path: Path, run_id: str) -> Run | None:
    try:
        return open_run(store_path, run_id)
    except UsageError:
        return None


def context(run: Run, lang: str, exact: bool) -> ReportContext:
    """The report's context for `run` in `lang`; the threshold 1 when exact (kept per run,
    language, exactness and the gate's setting: reading the data's date takes a table scan)."""

    def make() -> ReportContext:
        ctx = make_context(run.tables, lang, run.header)
        return dataclasses.replace(ctx, threshold=EXACT_THRESHOLD) if exact else ctx

    return _contexts.get((run.folder, lang, exact, sdc.threshold()), make)


def section(section_id: str) -> Section:
    found = {s.id: s for s in sections()}
    if section_id not in found:
        raise KeyError(section_id)
    return found[section_id]


def section_blocks(run: Run, section_id: str, ctx: ReportContext) -> tuple[Block, ...]:
    """One section's blocks from the run (kept); a run made before the section existed gets a note."""

    def render() -> tuple[Block, ...]:
        try:
            return tuple(section(section_id).render(run.tables, ctx))
        except (PolkuError, KeyError) as missing:  # a run made before a section or table existed
            error = str(missing.args[0]) if missing.args else ""
            return (Note(ctx.t("web.run.missing_table", error=error), tone="warning"),)

    return _blocks.get((str(run.folder), section_id, ctx.lang, ctx.threshold), render)


def chart_src(svg: str) -> str:
    """A chart as a `data:` image: an SVG in an `<img>` needs no inline style in the page (CSP)."""
    document = svg.replace("<svg ", SVG_NAMESPACES, 1)
    return "data:image/svg+xml;base64," + base64.b64encode(document.encode("utf-8")).decode("ascii")


def json_cell(text: str, lang: str) -> str | int | float | None:
    """A table cell for programs: numbers as numbers (as the workbook keeps them), hidden as null."""
    if text == sdc.MARKER:
        return None
    return cell_value(text, lang)[0]


def block_data(block: Block, lang: str, section_id: str, *, for_json: bool) -> dict[str, Any]:
    """A block as page data: what the template shows, or what the JSON twin gives."""
    if isinstance(block, Table):
        rows = [[json_cell(c, lang) for c in row] for row in block.rows] if for_json else [list(r) for r in block.rows]
        foot = None if block.foot is None else [json_cell(c, lang) for c in block.foot] if for_json else list(block.foot)
        data: dict[str, Any] = {
            "kind": "table",
            "id": block.id,
            "caption": block.caption,
            "header": list(block.header),
            "rows": rows,
        }
        return data | {"foot": foot, "note": block.note, "section": section_id}
    if isinstance(block, Chart):
        chart: dict[str, Any] = {"kind": "chart", "caption": block.caption, "id": block.id}
        return chart if for_json else chart | {"src": chart_src(block.svg)}
    if block.kind == "figures":
        return {"kind": "figures", "items": [{"label": label, "value": value} for label, value in block.items]}  # type: ignore[union-attr]
    return dataclasses.asdict(block)


def page_blocks(
    run: Run, section_ids: Sequence[str], ctx: ReportContext, *, for_json: bool, tables: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The blocks of `section_ids` as page data; with `tables`, only those table blocks."""
    found = []
    for section_id in section_ids:
        for block in section_blocks(run, section_id, ctx):
            if tables is not None and not (isinstance(block, Table) and block.id in tables):
                continue
            found.append(block_data(block, ctx.lang, section_id, for_json=for_json))
    return found


def find_table(run: Run, section_id: str, table_id: str, ctx: ReportContext) -> Table | None:
    return next((b for b in section_blocks(run, section_id, ctx) if isinstance(b, Table) and b.id == table_id), None)


def run_facts(run: Run) -> dict[str, Any]:
    """What a page says about the run it shows."""
    return {"run_id": run.run_id, "finished_at": run.provenance["finished_at"], "seed": run.provenance["seed"]}


def download(run: Run, section_id: str, table: Table, ctx: ReportContext, fmt: str) -> tuple[bytes, str]:
    """One table as CSV (UTF-8 with BOM) or XLSX (an About sheet naming the run, then the table):
    the report's own writers, so the cells are the page's, hidden ones `..`."""
    if fmt == "csv":
        return table_csv(table, ctx.lang).encode("utf-8"), "text/csv; charset=utf-8"
    areas = ", ".join(header.areas(run.tables)) or ctx.t("common.not_given")
    rendered = [RenderedSection(section_id, ctx.t(section(section_id).title_key), (table,))]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return workbook_bytes(ReportFacts(ctx, areas, __version__), rendered), xlsx
