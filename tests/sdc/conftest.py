"""Small synthetic areas (generated and imported, no report) for the disclosure gate's tests.

Built once per test run and copied to each worker: 12, 30, 100 and 200 clients (30 and 100
are the sizes at which issue 14 found small counts in the report and the JSON outputs).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gate_areas import KEY, SIZES, build_area

from synthetic_areas import built_once, copy_folder


def _build(root: Path, clients: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLKU_PSEUDONYM_KEY", KEY)
        build_area(root, clients, seed=3)


@pytest.fixture(scope="session")
def small_areas(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Store paths by number of clients (this worker's copies)."""
    paths = {}
    for n in SIZES:
        source = built_once(tmp_path_factory, f"gate-area{n}", lambda root, n=n: _build(root, n))
        paths[n] = copy_folder(source, tmp_path_factory, f"area{n}") / "polku.duckdb"
    return paths
