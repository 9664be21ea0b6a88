"""Parity of the Spark engine with DuckDB on a small synthetic area (issue 19, point 2).

One Spark session (local[2]) and one small area for the whole module: the same cohort
rows (persons, dates and every column) for a service and for the eligible-only service,
the same estimates to 1e-9 with the same seed, `polku analyse --engine spark --json`
printing the same summary as `--engine duckdb` (all but the run's id, time and folder),
and the national indicators over a two-area Parquet register the same on both engines.
Tolerance 1e-9: sums over rows are added in another order on Spark, which moves the
last bits of a float (about 1e-15 relative), far below it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from polku.cli import main
from polku.cohort.build import CohortSpec, build_cohort
from polku.identity import PseudonymKey
from polku.ingest import import_folder
from polku.national.compute import national_tables
from polku.store import open_store
from polku.store.export import open_parquet_register
from polku.store.snapshots import open_snapshot
from polku.synth import generate
from polku.synth.national import generate_national

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("the Spark engine needs Java", allow_module_level=True)

from polku.engine.spark import backend, from_parquet, from_store, session  # noqa: E402

pytestmark = [
    pytest.mark.timeout(1800),  # two whole analyses, one on Spark: minutes on a loaded machine
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
"""PySpark's py4j leaves its sockets to the garbage collector (a ResourceWarning it raises,
not Polku); every other warning stays an error."""

TOLERANCE = 1e-9
VOLATILE = ("run_id", "finished_at", "folder")
"""Fields of the summary that name the run itself, not its results."""


@pytest.fixture(scope="module")
def spark() -> Any:
    return session()


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 700-client synthetic area, imported (one read snapshot)."""
    root = tmp_path_factory.mktemp("spark-area")
    generate(clients=700, seed=5, out_dir=root / "synthetic")
    path = root / "store" / "polku.duckdb"
    with open_store(path) as store:
        import_folder(store, root / "synthetic", key=PseudonymKey(bytes.fromhex("5e" * 32), 1), allow_shrink=True)
    return path


def _same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        left.reset_index(drop=True), right.reset_index(drop=True), check_exact=False, rtol=TOLERANCE, atol=TOLERANCE
    )


@pytest.mark.parametrize("service", ["COACH", "REHAB"])
def test_the_same_cohort_rows_on_spark(area: Path, spark: Any, service: str) -> None:
    """Same persons, reference dates and columns, in the same order (REHAB: eligible-only draw)."""
    with open_snapshot(area) as snapshot:
        on_duckdb = build_cohort(snapshot, CohortSpec(service, seed=3))
        on_spark = build_cohort(from_store(snapshot, backend(spark)), CohortSpec(service, seed=3))
    assert len(on_duckdb) > 50 and on_duckdb["treated"].sum() > 5
    assert list(on_spark["person_id"]) == list(on_duckdb["person_id"])
    assert list(on_spark["ref_date"]) == list(on_duckdb["ref_date"])
    _same(on_spark, on_duckdb)


def _analyse(store: Path, engine: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["analyse", "--store", str(store), "--seed", "2", "--json", "--exact", "--engine", engine])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


@pytest.fixture(scope="module")
def runs(area: Path, spark: Any) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    yield _analyse(area, "duckdb"), _analyse(area, "spark")


def test_analyse_json_prints_the_same_summary_on_spark(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    duck, spark = runs
    assert {k: v for k, v in duck.items() if k not in (*VOLATILE, "effects", "results_sha256")} == {
        k: v for k, v in spark.items() if k not in (*VOLATILE, "effects", "results_sha256")
    }
    assert len(duck["effects"]) == len(spark["effects"]) > 6
    for left, right in zip(duck["effects"], spark["effects"]):
        assert {k: v for k, v in left.items() if not isinstance(v, float)} == {
            k: v for k, v in right.items() if not isinstance(v, float)
        }
        for name in ("estimate", "lower", "upper"):
            if left[name] is not None:
                assert right[name] == pytest.approx(left[name], abs=TOLERANCE)


def test_the_run_holds_the_same_tables_on_spark(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Every table of the two runs: same names, rows and columns, figures within 1e-9."""
    duck, spark = (Path(r["folder"]) / "tables" for r in runs)
    names = sorted(p.name for p in duck.iterdir())
    assert names == sorted(p.name for p in spark.iterdir())
    for name in names:
        _same(pd.read_parquet(spark / name), pd.read_parquet(duck / name))


def test_national_indicators_are_the_same_on_spark(tmp_path_factory: pytest.TempPathFactory, spark: Any) -> None:
    folder = tmp_path_factory.mktemp("register") / "register"
    generate_national(areas=2, clients=800, seed=4, out_dir=folder)
    on_duckdb = national_tables(open_parquet_register(folder))
    on_spark = national_tables(from_parquet(folder, backend(spark)))
    assert list(on_duckdb["national_indicators"]["area"]) == ["A01", "A02"]
    assert np.all(on_duckdb["national_indicators"]["inflow"] > 20)
    for name, frame in on_duckdb.items():
        _same(on_spark[name], frame)
