"""Assemble the report: header facts, every registered section, template and inline CSS.

Two steps, as in a run: `compute_sections` reads the store once and returns every table
the report shows (the header's and each section's); `render_run_html` turns those tables
and the run's header into HTML without a store. `render_html` does both for callers that
hold a store. Why everything is inlined: the report is one file a manager can e-mail or
open offline; it makes no request to any server (no CDN, no fonts, no scripts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape

from polku import __version__, sdc
from polku.reports import header
from polku.reports.blocks import Block
from polku.reports.context import ReportContext, RunHeader
from polku.reports.registry import Results, sections


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


def render_sections(results: Results, ctx: ReportContext) -> list[RenderedSection]:
    """Each section's blocks, from the run's tables alone: the sections of the run's kind
    (a national register's run holds only the national tables)."""
    kind = ctx.run.kind if ctx.run is not None else "area"
    return [RenderedSection(s.id, ctx.t(s.title_key), tuple(s.render(results, ctx))) for s in sections(kind)]


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
