"""A small imported synthetic area shared by the cohort tests (built once per run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pandas as pd
import pytest

from polku.store import Store, open_store
from synthetic_areas import Area


@pytest.fixture(scope="package")
def area(shared_area: Callable[[int, int], Area]) -> Area:
    """3,000 clients, seed 11, imported with the fixed key: the comparison draws are reproducible."""
    return shared_area(3000, 11)


@pytest.fixture()
def store(area: Area) -> Iterator[Store]:
    with open_store(area.store_path, read_only=True) as opened:
        yield opened


@pytest.fixture(scope="package")
def truth(area: Area) -> pd.DataFrame:
    return pd.read_csv(area.data_dir / "ground_truth_episodes.csv")
