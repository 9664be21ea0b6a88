"""The engines an analysis runs on: DuckDB on one machine (the default), Apache Spark at national scale.

Why a package of its own: the cohort and every query are Ibis expressions
(`polku.cohort`, the report's sections), so choosing an engine is choosing the Ibis
backend the store's tables are read through, plus, on Spark, spreading the per-service
estimation over the cluster (`polku.engine.distribute`). Nothing below `polku.engine`
knows which engine runs it.
"""

from __future__ import annotations

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
