"""The compute half of the report: every section's tables from the store, as `polku analyse`
stores them in a run.

Why apart from `render`: rendering reads only a run's tables and must not load the engine
(DuckDB, Ibis) that computing needs; the report and the web import `render`, the analysis
imports this.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis.expr.types as ir
import pandas as pd

from polku.pipeline.settings import AnalysisContext
from polku.reports import header
from polku.reports.registry import sections
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


def compute_sections(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    """The header's and every section's tables, as `polku analyse` stores them in a run;
    names are unique."""
    if not isinstance(store, ReportStore):
        store = store.shared_as(ReportStore)
    tables: dict[str, pd.DataFrame] = header.compute_header(store)
    try:
        for section in sections():
            for name, frame in section.compute(store, analysis).items():
                if name in tables:
                    raise ValueError(f"report table {name!r} is computed by two sections")
                tables[name] = frame
            if analysis.on_section is not None:
                analysis.on_section(section.id)
    finally:
        analysis.release()
    return tables
