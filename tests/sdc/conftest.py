"""Small synthetic areas (generated and imported, no report) for the disclosure gate's tests.

Built once per session: 12, 30, 100 and 200 clients (30 and 100 are the sizes at which
issue 14 found small counts in the report and the JSON outputs).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gate_areas import KEY, SIZES, build_area


@pytest.fixture(scope="session")
def small_areas(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Store paths by number of clients."""
    mp = pytest.MonkeyPatch()
    mp.setenv("POLKU_PSEUDONYM_KEY", KEY)
    try:
        return {n: build_area(tmp_path_factory.mktemp(f"area{n}"), n, seed=3) for n in SIZES}
    finally:
        mp.undo()
