"""A small imported synthetic area shared by the cohort tests (built once per run)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from polku.demo import DemoResult, run_demo
from polku.store import Store, open_store


@pytest.fixture(scope="package")
def area(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    mp = pytest.MonkeyPatch()
    mp.setenv("POLKU_PSEUDONYM_KEY", "5e" * 32)  # fixed pseudonyms: the comparison draws are reproducible
    try:
        return run_demo(tmp_path_factory.mktemp("area") / "out", clients=3000, seed=11)
    finally:
        mp.undo()


@pytest.fixture()
def store(area: DemoResult) -> Iterator[Store]:
    with open_store(area.store_path, read_only=True) as opened:
        yield opened


@pytest.fixture(scope="package")
def truth(area: DemoResult) -> pd.DataFrame:
    return pd.read_csv(area.data_dir / "ground_truth_episodes.csv")
