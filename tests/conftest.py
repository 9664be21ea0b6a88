"""Fixtures shared across the test folders."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

# One OpenMP thread per test process: the suite runs two pytest-xdist workers on a
# two-core machine, and scikit-learn's gradient boosting with a thread per core in each
# worker oversubscribes the cores (measured: the same tests used 33 s of processor time
# with two threads, 21 s with one). Set before any test module loads scikit-learn, and
# inherited by the CLI processes tests start. The results do not depend on it: each
# feature's histogram is built by one thread.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import duckdb
import pytest

from synthetic_areas import Area, build_area, built_once, copy_area

HEAVY_FIRST = (
    "tests/engine/test_spark_parity.py",
    "tests/cohort/test_store_views.py",
    "tests/pipeline/test_workers.py",
    "tests/sdc/test_gate_property.py",
    "tests/sdc/test_gate_findings.py",
    "tests/test_demo.py",
    "tests/cohort/test_augmented.py",
    "tests/test_operations.py",
    "tests/cba/test_store.py",
    "tests/reports/test_sections_seam.py",
    "tests/web/test_web_access.py",
    "tests/impact/test_expected.py",
    "tests/test_no_identity_on_disk.py",
)
"""The longest test files, longest first (the sum of their tests' times in a JUnit report of
the whole suite, 7 December 2026: 529 s for the Spark parity on a loaded machine, 55 s for
the last; the suite took 1,411 s then, 2,692 s in the workers). pytest-xdist hands
whole files (`--dist loadfile`) to the two workers in collection order
(`--no-loadscope-reorder`), and a long file handed out last keeps one worker busy after the
other has finished; started first, the short files fill in around them."""


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of HEAVY_FIRST first, in its order; the rest keep theirs (a stable sort)."""
    rank = {path: i for i, path in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))


@pytest.fixture(scope="session", autouse=True)
def _own_data_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Commands run without --store use a folder of this session (of this worker, under
    pytest-xdist), never the user's ~/.local/share/polku or a store named in `.env`: no test
    reads or writes a real store, and two workers never share one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLKU_DATA_DIR", str(tmp_path_factory.mktemp("polku-data")))
        patch.setenv("POLKU_STORE", "")  # empty: the store in POLKU_DATA_DIR
        yield


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection for checking SQL twins against Python (one per module;
    folders whose `con` means a built store define their own)."""
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def shared_area(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int, int], Area]:
    """shared_area(clients, seed): the synthetic area of that size and seed, generated and
    imported once per test run, copied once per worker and shared by every folder that asks
    for it. Tests only read it; one that writes takes `synthetic_areas.copy_area` of it."""
    built: dict[tuple[int, int], Area] = {}

    def get(clients: int, seed: int) -> Area:
        if (clients, seed) not in built:
            name = f"area-{clients}-{seed}"
            source = built_once(tmp_path_factory, name, lambda root: build_area(root, clients, seed))
            original = Area(source / "synthetic", source / "store" / "polku.duckdb")
            built[clients, seed] = copy_area(original, tmp_path_factory.mktemp(name))
        return built[clients, seed]

    return get
