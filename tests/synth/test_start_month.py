"""A participant's exit in the month the service starts: the chance of someone still
registered on the start day, checked against a day-by-day simulation."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from polku.synth.paths import _rest_of_month


@pytest.mark.parametrize("p", [0.05, 0.5, 0.9])
@pytest.mark.parametrize("start", [0, 14, 29])
def test_exit_chance_after_the_start_is_that_of_someone_still_registered(p: float, start: int) -> None:
    """Everybody's exit day is uniform over the month's 31 days with monthly chance p; among
    those still registered on the start day (exit day after it), the share who leave later
    in the month is what `_rest_of_month` gives a participant."""
    span, first = 31, 1000
    mo = SimpleNamespace(first_day=first, m=0, timeline=SimpleNamespace(days_in=lambda m: span))
    factor = _rest_of_month(mo, np.array([first + start, -1]), np.array([p, p]))
    assert factor[1] == 1.0  # no service starting this month: unchanged
    rng = np.random.default_rng(7)
    n = 2_000_000
    leaves = rng.random(n) < p
    day = first + rng.integers(0, span, n)
    still_there = ~leaves | (day > first + start)
    simulated = float(leaves[still_there].mean())
    assert factor[0] * p == pytest.approx(simulated, abs=0.002)
    assert 0 < factor[0] <= 1
