"""The per-service estimation spread over Spark: each service's cohort is built by Spark
(the same Ibis expressions as on DuckDB) and its estimate fitted where its rows are.

Why this shape: the cohorts are joins over the whole register, which Spark spreads; the
estimators (`polku.impact`, through `polku.pipeline.store_views.service_view`) are plain
Python over one service's rows, so they run unchanged inside `groupBy(...).applyInArrow`,
one group per (area, service). Each group returns its `ServiceView` pickled, the driver
unpickles them, and the report's sections store the same tables from them as on DuckDB
(`polku.reports.sections.impact.analysis_views` finds them already computed). The rows of
a group reach the worker in no fixed order; they are sorted by the cohort's `row_id`, so
every model sees its rows in the order DuckDB gives them and the same seed gives the same
estimate.
"""

from __future__ import annotations

import datetime as dt
import pickle
from contextlib import ExitStack
from typing import Any, cast

import ibis
import pyarrow as pa

from polku.cohort.build import CohortSpec, as_frame, cohort_table, data_end, finished, planned_cohort, services_with_episodes
from polku.pipeline.settings import AnalysisSettings
from polku.pipeline.store_views import ServiceView, service_view
from polku.store.connection import Store

GROUP = "_group"
"""The column naming each row's group (the service) in the union of the cohorts."""
CONTROLS_PER_PARTICIPANT = 5
"""As `polku.pipeline.by_service.service_estimates` builds every cohort."""


def _dataframe(backend: Any, expr: ibis.Table) -> Any:
    """The Spark DataFrame of an Ibis expression on the pyspark backend (its compiled SQL)."""
    backend._run_pre_execute_hooks(expr)  # registers the expression's UDFs and in-memory tables
    return backend._session.sql(backend.compile(expr))


def _fit_group(schema: ibis.Schema, uuids: frozenset[str], as_of: dt.date, options: dict[str, Any], rows: pa.Table) -> pa.Table:
    """On a worker: one service's cohort rows (any order) -> its `ServiceView`, pickled."""
    code = str(rows.column(GROUP)[0].as_py())
    ordered = rows.drop_columns([GROUP]).sort_by("row_id").cast(schema.to_pyarrow())  # Spark's types as Ibis reads them
    cohort = finished(as_frame(ordered, schema, uuids), code, as_of)
    view = service_view(cast(Store, None), code, cohort=cohort, as_of=options["as_of"] or as_of, **options["fit"])
    return pa.table({GROUP: [code], "view": [pickle.dumps(view, protocol=pickle.HIGHEST_PROTOCOL)]})


def distributed_views(store: Store, settings: AnalysisSettings) -> list[ServiceView]:
    """What `store_views(store, ...)` gives under the run's settings, the cohorts built by
    Spark and each service's estimate fitted on a Spark worker."""
    codes = services_with_episodes(store)
    if not codes:
        return []
    categories = dict(store.table("service").select("service_code", "category").execute().itertuples(index=False))
    end = data_end(store)
    backend = store.ibis
    with ExitStack() as stack:
        parts, schema = [], None
        for code in codes:
            spec = CohortSpec(code, CONTROLS_PER_PARTICIPANT, seed=settings.seed)
            rows, as_of, table = planned_cohort(store, spec, categories[code])
            units = stack.enter_context(rows.cache())
            cohort = cohort_table(table, units, spec, as_of).mutate(**{GROUP: ibis.literal(code)})
            schema = cohort.schema()
            parts.append(_dataframe(backend, cohort))
        union = parts[0]
        for part in parts[1:]:
            union = union.unionByName(part)
        uuids, columns = store.uuid_text_columns, ibis.schema({k: v for k, v in cast(ibis.Schema, schema).items() if k != GROUP})
        options = {
            "as_of": settings.as_of or end,
            "fit": {"outcome": settings.outcome, "method": settings.method, "seed": settings.seed},
        }

        def fit(rows: pa.Table) -> pa.Table:
            return _fit_group(columns, uuids, end, options, rows)

        out = union.groupBy(GROUP).applyInArrow(fit, schema=f"{GROUP} string, view binary").toArrow()
    views = {code: pickle.loads(blob) for code, blob in zip(out.column(GROUP).to_pylist(), out.column("view").to_pylist())}
    return [views[code] for code in codes]
