"""The one place a Spark session is started, and the store's tables made readable on it.

Why one module: the session's settings decide whether Spark gives the same answer as
DuckDB. The session time zone is UTC (ibis issue #11137: backends read dates and times in
different zones), shuffles use few partitions (the default 200 costs more than a small
area's queries), and Python workers run this interpreter, so they import this Polku.
Local mode (`local[2]`) is for tests and one machine; `remote="sc://HOST:PORT"` runs the
same code on a cluster through Spark Connect, whose workers need Polku installed.

The store's tables reach Spark in one of two ways: from a DuckDB store (its newest read
snapshot, each table as Arrow, never written to disk), or from a folder of Parquet files
(one file or folder per table, e.g. the national register of `polku generate --format
parquet`, partitioned by area). Either way they become temporary views that the Ibis
pyspark backend reads as the store's tables.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis

from polku.errors import UsageError
from polku.reports.compute import ReportStore
from polku.store.connection import Store
from polku.store.export import analysis_tables, parquet_tables

LOCAL_MASTER = "local[2]"
SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.driver.memory": "4g",
}
"""Settings of every session Polku starts (a remote cluster keeps its own memory settings)."""


def _require_pyspark() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError(
            "the Spark engine needs PySpark, which is not installed", fix="install Polku with its 'spark' extra (pyspark 4.0)."
        ) from None
    return SparkSession


def _require_java() -> None:
    home = os.environ.get("JAVA_HOME")
    if not (home and (Path(home) / "bin" / "java").exists()) and shutil.which("java") is None:
        raise UsageError(
            "the Spark engine needs Java, which was not found",
            fix="install a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME.",
        )


@functools.cache
def session(remote: str | None = None, master: str = LOCAL_MASTER) -> Any:
    """The Spark session (one per process and address): local mode by default, Spark Connect
    with `remote`; a one-line UsageError when PySpark or Java is missing."""
    builder = _require_pyspark().builder
    if remote:
        if not remote.startswith("sc://"):
            raise UsageError(f"--spark-remote {remote!r} is not a Spark Connect address", fix="give sc://HOST:PORT.")
        builder = builder.remote(remote)
    else:
        _require_java()
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers import this Polku
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode never listens beyond this machine
        builder = builder.master(master).config("spark.driver.host", "127.0.0.1")
    for key, value in SETTINGS.items():
        if not remote or key.startswith("spark.sql."):
            builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if not remote:
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def backend(spark: Any) -> ibis.BaseBackend:
    """The Ibis backend over a Spark session (local or Spark Connect)."""
    _float_literals_as_double()
    return ibis.pyspark.connect(session=spark)


def _float_literals_as_double() -> None:
    """Make Ibis write a float literal for Spark as `CAST(12.0 AS DOUBLE)`.

    Why: Ibis 12 writes it as `12.0`, which Spark SQL reads as DECIMAL(3,1), so `months /
    12.0` becomes decimal division rounded to six places (an age off by 3e-7) and a
    column Ibis types as float64 arrives as decimal. DuckDB reads `12.0` as a double.
    With the cast, Spark computes in doubles, as DuckDB does. Patched once per process."""
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    original = PySparkCompiler.visit_NonNullLiteral
    if getattr(original, "polku_double", False):
        return

    def visit(self: Any, op: Any, *, value: Any, dtype: Any) -> Any:
        result = original(self, op, value=value, dtype=dtype)
        if dtype.is_floating() and result is not None and math.isfinite(value):
            return self.cast(result, dtype)
        return result

    visit.polku_double = True  # type: ignore[attr-defined]
    PySparkCompiler.visit_NonNullLiteral = visit


@dataclass
class SparkStore(ReportStore):
    """The store's tables as Spark reads them, for every Ibis query of an analysis.

    It has no DuckDB connection (`con` is None): only `polku.store` and `polku.ingest` use
    one, and neither runs on Spark."""

    backend: Any = None
    uuids: frozenset[str] = field(default_factory=frozenset)

    @property
    def ibis(self) -> ibis.BaseBackend:
        return self.backend

    @property
    def uuid_text_columns(self) -> frozenset[str]:
        return self.uuids

    @property
    def spark(self) -> Any:
        return self.backend._session


def from_store(snapshot: Store, on: ibis.BaseBackend) -> SparkStore:
    """The analysis tables of an open DuckDB store (its read snapshot) as Spark views of the
    same names, handed over as Arrow in memory; UUID columns become text."""
    spark = on._session
    uuids: set[str] = set()
    for name, columns in analysis_tables(snapshot).items():
        spark.createDataFrame(snapshot.table(name).to_pyarrow()).createOrReplaceTempView(name)
        uuids.update(columns)
    return SparkStore(path=snapshot.path, con=None, backend=on, uuids=frozenset(uuids))  # type: ignore[arg-type]


UUID_COLUMNS = frozenset({"person_id"})
"""Columns of a Parquet register that hold UUIDs as text (the store's UUID columns)."""


def from_parquet(folder: Path, on: ibis.BaseBackend) -> SparkStore:
    """The register's tables (`polku.store.export.parquet_tables`) as Spark views named
    after them; a partitioned table's `area` comes from its folders."""
    spark = on._session
    for name, path in parquet_tables(folder).items():
        spark.read.parquet(str(path)).createOrReplaceTempView(name)
    return SparkStore(path=Path(folder), con=None, backend=on, uuids=UUID_COLUMNS)  # type: ignore[arg-type]
