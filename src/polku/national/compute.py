"""The national tables of an analysis (`national_indicators`, `national_expected`): over a
store (its one area) in every `polku analyse`, or over the national Parquet register with
`polku national`, on either engine."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pandas as pd

from polku.cohort.build import data_end
from polku.errors import UsageError
from polku.national.expected import LABOUR_MARKET, entry_rows, observed_expected
from polku.national.indicators import area_indicators
from polku.store.connection import Store

STORE_AREA = "area"
"""The area's name when the store's teams do not name it."""


def store_area(store: Store) -> str:
    """The store's one area: its teams' `area_id` (the first by name), else `STORE_AREA`."""
    try:
        values = store.table("team").select("area_id").distinct().order_by("area_id").to_pandas()["area_id"].dropna()
    except Exception:  # a register or store without teams
        return STORE_AREA
    return str(values.iloc[0]) if len(values) else STORE_AREA


def labour_market(store: Store) -> pd.DataFrame | None:
    """Each area's published unemployment rate, when the store is a national register that
    holds it (`LABOUR_MARKET`, a file in the register's folder); None for a store's one area."""
    if not (Path(store.path) / f"{LABOUR_MARKET}.parquet").is_file():
        return None
    return store.table(LABOUR_MARKET).select("area", "unemployment_rate").order_by("area").to_pandas()


def national_tables(store: Store, *, seed: int = 0, end: dt.date | None = None) -> dict[str, pd.DataFrame]:
    """The indicators per area and observed against expected per area."""
    table = functools.cache(store.table)
    try:
        end = end or data_end(store)
    except UsageError:  # a store with persons only (nothing dated yet): no area figures
        no_areas = pd.DataFrame({"area": pd.Series([], dtype=object)})
        return {"national_indicators": no_areas, "national_expected": observed_expected(pd.DataFrame(), seed)}
    area = store_area(store)
    indicators = area_indicators(table, end, area).to_pandas()
    expected = observed_expected(entry_rows(table, end, area), seed, labour_market(store))
    indicators.insert(1, "data_end", pd.Series([pd.Timestamp(end).date()] * len(indicators), dtype=object))  # plain dates
    return {"national_indicators": indicators, "national_expected": expected}
