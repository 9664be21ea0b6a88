"""Assemble the report: header facts, every registered section, template and inline CSS.

Two steps, as in a run: `compute_sections` reads the store once and returns every table
the report shows (the header's and each section's); `render_run_html` turns those tables
and the run's header into HTML without a store. `render_html` does both for callers that
hold a store. Why everything is inlined: the report is one file a manager can e-mail or
open offline; it makes no request to any server (no CDN, no fonts, no scripts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources

import ibis.expr.types as ir
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from polku import __version__, sdc
from polku.pipeline.settings import AnalysisContext
from polku.reports import header
from polku.reports.blocks import Block
from polku.reports.context import ReportContext, RunHeader
from polku.reports.registry import Results, sections
from polku.store import Store


@dataclass
class ReportStore(Store):
    """The store as one analysis reads it: each table looked up once.

    Why: every `Store.table` call asks DuckDB for the schema; an analysis makes about seventy
    such calls, which cost more than the queries themselves.
    """

    _tables: dict[str, ir.Table] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> ir.Table:
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


def make_context(results: Results, lang: str, run: RunHeader | None = None) -> ReportContext:
    """The facts every section shares; the data's date comes from the run's tables."""
    return ReportContext(
        lang=lang,
        threshold=sdc.threshold(),
        generated_at=datetime.now(UTC).replace(microsecond=0),
        extraction_date=header.extraction_date(results),
        run=run,
    )


def compute_sections(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """The header's and every section's tables, as `polku analyse` stores them in a run;
    names are unique."""
    if not isinstance(store, ReportStore):
        store = store.shared_as(ReportStore)
    tables: dict[str, pd.DataFrame] = header.compute_header(store)
    for section in sections():
        for name, frame in section.compute(store, analysis).items():
            if name in tables:
                raise ValueError(f"report table {name!r} is computed by two sections")
            tables[name] = frame
    return tables


def render_sections(results: Results, ctx: ReportContext) -> list[RenderedSection]:
    """Each section's blocks, from the run's tables alone."""
    return [RenderedSection(s.id, ctx.t(s.title_key), tuple(s.render(results, ctx))) for s in sections()]


def render_html(results: Results, lang: str, run: RunHeader | None = None) -> str:
    """The whole report as one HTML document from a run's tables: no store is opened."""
    ctx = make_context(results, lang, run)
    template = _environment().get_template("report.html.j2")
    return template.render(
        ctx=ctx,
        css=_css(),
        version=__version__,
        areas=", ".join(header.areas(results)) or ctx.t("common.not_given"),
        imports=list(header.imports(results).itertuples(index=False)),
        sections=render_sections(results, ctx),
    )
