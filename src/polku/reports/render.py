"""Assemble the report: header facts, every registered section, template and inline CSS.

Why everything is inlined: the report is one file a manager can e-mail or open offline;
it makes no request to any server (no CDN, no fonts, no scripts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from importlib import resources
from pathlib import Path

import ibis
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from polku import __version__, sdc
from polku.outputs import check_writable, write_output
from polku.pipeline.settings import AnalysisContext
from polku.quality import latest_imports
from polku.reports import queries
from polku.reports.blocks import Block
from polku.reports.context import ReportContext, RunHeader
from polku.reports.registry import Results, sections
from polku.store import Store


@dataclass
class ReportStore(Store):
    """The store as one report reads it: one Ibis backend, each table looked up once.

    Why: every `Store.table` call builds a backend and asks DuckDB for the schema; a report
    makes about seventy such calls, which cost more than the queries themselves.
    """

    _tables: dict[str, ibis.Table] = field(default_factory=dict, repr=False)

    @cached_property
    def ibis(self) -> ibis.BaseBackend:  # type: ignore[override]
        return ibis.duckdb.from_connection(self.con)

    def table(self, name: str) -> ibis.Table:
        if name not in self._tables:
            self._tables[name] = self.ibis.table(name)
        return self._tables[name]


@dataclass(frozen=True)
class RenderedSection:
    id: str
    title: str
    blocks: tuple[Block, ...]


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("polku.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _css() -> str:
    return (resources.files("polku.reports") / "static" / "report.css").read_text(encoding="utf-8")


def make_context(store: Store, lang: str, run: RunHeader | None = None) -> ReportContext:
    return ReportContext(
        lang=lang,
        threshold=sdc.threshold(),
        generated_at=datetime.now(UTC).replace(microsecond=0),
        extraction_date=queries.extraction_date(store),
        run=run,
    )


def compute_sections(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """Every section's tables, as `polku analyse` stores them in a run; names are unique."""
    tables: dict[str, pd.DataFrame] = {}
    for section in sections():
        if section.compute is None:
            continue
        for name, frame in section.compute(store, analysis).items():
            if name in tables:
                raise ValueError(f"report table {name!r} is computed by two sections")
            tables[name] = frame
    return tables


def render_sections(store: Store, ctx: ReportContext, results: Results) -> list[RenderedSection]:
    """Each section's blocks: from the run's tables, or (legacy sections) from the store."""
    rendered = []
    for s in sections():
        blocks = s.render(store, ctx) if s.legacy else s.render(results, ctx)
        rendered.append(RenderedSection(s.id, ctx.t(s.title_key), tuple(blocks)))
    return rendered


def render_html(store: Store, lang: str, results: Results | None = None, run: RunHeader | None = None) -> str:
    """The whole report as one HTML document, from a run's `results` (computed now if None)."""
    store = ReportStore(store.path, store.con)
    if results is None:
        results = compute_sections(store, AnalysisContext())
    ctx = make_context(store, lang, run)
    template = _environment().get_template("report.html.j2")
    return template.render(
        ctx=ctx,
        css=_css(),
        version=__version__,
        areas=", ".join(queries.areas(store)) or ctx.t("common.not_given"),
        imports=latest_imports(store),
        sections=render_sections(store, ctx, results),
    )


def write_report(store: Store, out_path: Path, lang: str) -> Path:
    """Through the one output writer (polku.outputs): never over the store or the key."""
    check_writable(out_path)  # before the rendering's work
    return write_output(out_path, render_html(store, lang))
