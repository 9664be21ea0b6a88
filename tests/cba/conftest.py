"""A small imported synthetic area for the store's cost-benefit analysis (built once)."""

from __future__ import annotations

import pytest

from polku.demo import DemoResult, run_demo


@pytest.fixture(scope="package")
def area(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    mp = pytest.MonkeyPatch()
    mp.setenv("POLKU_PSEUDONYM_KEY", "5e" * 32)
    try:
        return run_demo(tmp_path_factory.mktemp("area") / "out", clients=3000, seed=11)
    finally:
        mp.undo()
