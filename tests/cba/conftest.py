"""A small imported synthetic area for the store's cost-benefit analysis (built once)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from synthetic_areas import Area


@pytest.fixture(scope="package")
def area(shared_area: Callable[[int, int], Area]) -> Area:
    """3,000 clients, seed 11 (the cohort tests' area), imported with the fixed key."""
    return shared_area(3000, 11)
