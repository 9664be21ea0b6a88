"""The per-service estimation spread over Spark: each (area, service) cohort is built by
Spark (the same Ibis expressions as on DuckDB) and its estimate fitted where its rows are.

Why this shape: the cohorts are joins over the whole register, which Spark spreads; the
estimators (`polku.impact`, through `polku.pipeline.store_views.cohort_view`) are plain
Python over one service's rows, so they run unchanged inside `groupBy(...).applyInArrow`,
one group per (area, service). Each group returns its `ServiceView` pickled, the driver
unpickles them, and the report's sections store the same tables from them as on DuckDB
(`polku.reports.sections.impact.analysis_views` finds them already computed). The rows of
a group reach the worker in no fixed order; they are sorted by the cohort's `row_id` and
cast to the cohort's Ibis types, so every model sees its rows as DuckDB gives them and
the same seed gives the same estimate.
"""

from __future__ import annotations

import pickle
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, cast

import ibis
import pyarrow as pa

from polku.cohort.build import CohortSpec, as_frame, cohort_table, data_end, finished, planned_cohort, services_with_episodes
from polku.pipeline.settings import AnalysisSettings
from polku.pipeline.store_views import ServiceView, cohort_view
from polku.store.connection import Store

GROUP = "_group"
"""The column naming each row's group in the union of the cohorts."""
CONTROLS_PER_PARTICIPANT = 5
"""As `polku.pipeline.by_service.service_estimates` builds every cohort."""


@dataclass(frozen=True)
class Group:
    """One fit: a service's cohort in one store (an area of the register, or the store)."""

    key: str
    service_code: str
    store: Store


def _dataframe(backend: Any, expr: ibis.Table) -> Any:
    """The Spark DataFrame of an Ibis expression on the pyspark backend (its compiled SQL)."""
    backend._run_pre_execute_hooks(expr)  # registers the expression's UDFs and in-memory tables
    return backend._session.sql(backend.compile(expr))


ESTIMATE_ONLY = {"checks": False, "survival": False, "expected": False}
"""`cohort_view` options for the estimates alone (the national impact per area and service)."""


def _fit_group(schema: ibis.Schema, uuids: frozenset[str], plans: dict[str, Any], rows: pa.Table) -> pa.Table:
    """On a worker: one group's cohort rows (any order) -> its `ServiceView`, pickled."""
    key = str(rows.column(GROUP)[0].as_py())
    code, end, as_of, options = plans[key]
    ordered = rows.drop_columns([GROUP]).sort_by("row_id").cast(schema.to_pyarrow())  # Spark's types as Ibis reads them
    cohort = finished(as_frame(ordered, schema, uuids), code, end)
    view = cohort_view(cohort, code, as_of=as_of, **options)
    return pa.table({GROUP: [key], "view": [pickle.dumps(view, protocol=pickle.HIGHEST_PROTOCOL)]})


def distributed_groups(groups: list[Group], settings: AnalysisSettings, **views: bool) -> dict[str, ServiceView]:
    """Each group's `ServiceView` under the run's settings, fitted on Spark's workers
    (`views`: `cohort_view`'s choice of checks, curves and expected, e.g. `ESTIMATE_ONLY`)."""
    if not groups:
        return {}
    first = groups[0].store
    categories = dict(first.table("service").select("service_code", "category").execute().itertuples(index=False))
    fit = {"outcome": settings.outcome, "method": settings.method, "seed": settings.seed, **views}
    with ExitStack() as stack:
        parts, plans, schema = [], {}, None
        for group in groups:
            spec = CohortSpec(group.service_code, CONTROLS_PER_PARTICIPANT, seed=settings.seed, as_of=settings.as_of)
            rows, end, table = planned_cohort(group.store, spec, categories[group.service_code])
            units = stack.enter_context(rows.cache())
            cohort = cohort_table(table, units, spec, end).mutate(**{GROUP: ibis.literal(group.key)})
            schema = ibis.schema({k: v for k, v in cohort.schema().items() if k != GROUP})
            plans[group.key] = (group.service_code, end, settings.as_of or end, fit)
            parts.append(_dataframe(first.ibis, cohort))
        union = parts[0]
        for part in parts[1:]:
            union = union.unionByName(part)
        uuids, columns = first.uuid_text_columns, cast(ibis.Schema, schema)

        def fit_one(rows: pa.Table) -> pa.Table:
            return _fit_group(columns, uuids, plans, rows)

        out = union.groupBy(GROUP).applyInArrow(fit_one, schema=f"{GROUP} string, view binary").toArrow()
    return {key: pickle.loads(blob) for key, blob in zip(out.column(GROUP).to_pylist(), out.column("view").to_pylist())}


def distributed_views(store: Store, settings: AnalysisSettings) -> list[ServiceView]:
    """What `store_views(store, ...)` gives under the run's settings, the cohorts built by
    Spark and each service's estimate fitted on a Spark worker."""
    codes = services_with_episodes(store)
    if not codes:
        return []
    data_end(store)  # a store without dated rows stops here, as on DuckDB
    views = distributed_groups([Group(code, code, store) for code in codes], settings)
    return [views[code] for code in codes]
