"""The report header's facts as run tables: areas, the data's date and the imports behind it.

Why tables: the header is printed from an analysis run like every section, so a report
rendered later (or by a web server) names the data the run read, not what the store holds
by then. The imports table also feeds the data-quality section.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import TYPE_CHECKING

import pandas as pd

from polku.reports.frames import table, typed_frame
from polku.reports.registry import Results

if TYPE_CHECKING:
    from polku.store import Store

IMPORTS = {
    "import_id": "int64",
    "table": "object",
    "source": "object",
    "file": "object",
    "sha256": "object",
    "status": "object",
    "rows_read": "int64",
    "rows_accepted": "int64",
    "rows_quarantined": "int64",
}
"""The columns of `report_imports`: the latest import of every (table, source)."""


def compute_header(store: Store) -> dict[str, pd.DataFrame]:
    """`report_areas`, `report_extraction` (no row when the store holds no dates) and
    `report_imports`, sorted by their keys."""
    from polku.quality import latest_imports  # the engine only when a run is computed
    from polku.reports import queries

    latest = queries.extraction_date(store)
    rows = [{k: v for k, v in asdict(e).items() if k in IMPORTS} for e in latest_imports(store)]
    return compute_header_frames(queries.areas(store), latest, rows, IMPORTS)


def compute_header_frames(
    areas: list[str], latest: dt.date | None, imports: list[dict[str, object]], columns: dict[str, str]
) -> dict[str, pd.DataFrame]:
    """The three header tables from their facts (a store's, or a national register's)."""
    return {
        "report_areas": pd.DataFrame({"area_id": pd.Series(areas, dtype=object)}),
        "report_extraction": pd.DataFrame({"extraction_date": pd.Series([latest] if latest else [], dtype=object)}),
        "report_imports": typed_frame(iter(imports), columns),
    }


def areas(results: Results) -> list[str]:
    """The employment areas the run's data cover."""
    return [str(a) for a in table(results, "report_areas")["area_id"]]


def extraction_date(results: Results) -> dt.date | None:
    """The latest recorded date in the run's data, or None when it held no dates."""
    column = table(results, "report_extraction")["extraction_date"]
    return _as_date(column.iloc[0]) if len(column) else None


def _as_date(value: object) -> dt.date:
    """A date as stored, whatever the reader made of it (date, datetime or Timestamp)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(str(value)).date()


def imports(results: Results) -> pd.DataFrame:
    """The latest import of every (table, source) the run read: the report's provenance."""
    return table(results, "report_imports")
