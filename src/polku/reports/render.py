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
from jinja2 import Environment, PackageLoader, select_autoescape

from polku import __version__, sdc
from polku.outputs import check_writable, write_output
from polku.quality import latest_imports
from polku.reports import queries
from polku.reports.blocks import Block
from polku.reports.context import ReportContext
from polku.reports.registry import sections
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


def make_context(store: Store, lang: str) -> ReportContext:
    return ReportContext(
        lang=lang,
        threshold=sdc.threshold(),
        generated_at=datetime.now(UTC).replace(microsecond=0),
        extraction_date=queries.extraction_date(store),
    )


def render_sections(store: Store, ctx: ReportContext) -> list[RenderedSection]:
    return [RenderedSection(s.id, ctx.t(s.title_key), tuple(s.build(store, ctx))) for s in sections()]


def render_html(store: Store, lang: str) -> str:
    """The whole report as one HTML document."""
    store = ReportStore(store.path, store.con)
    ctx = make_context(store, lang)
    template = _environment().get_template("report.html.j2")
    return template.render(
        ctx=ctx,
        css=_css(),
        version=__version__,
        areas=", ".join(queries.areas(store)) or ctx.t("common.not_given"),
        imports=latest_imports(store),
        sections=render_sections(store, ctx),
    )


def write_report(store: Store, out_path: Path, lang: str) -> Path:
    """Through the one output writer (polku.outputs): never over the store or the key."""
    check_writable(out_path)  # before the rendering's work
    return write_output(out_path, render_html(store, lang))
