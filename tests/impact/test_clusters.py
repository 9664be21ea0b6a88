"""Cluster-robust standard errors: by hand, and on data whose rows are copied."""

from __future__ import annotations

import numpy as np
import pytest

from polku.errors import UsageError
from polku.impact import IPW, Matching
from polku.impact.design import influence_se


def test_influence_se_by_hand() -> None:
    influence = np.array([1.0, -2.0, 3.0, -2.0])
    # independent: sqrt(1 + 4 + 9 + 4) / 4
    assert influence_se(influence) == pytest.approx(np.sqrt(18) / 4)
    # clusters {0,1} and {2,3}: sums -1 and 1; G = 2: sqrt(2/1 * (1 + 1)) / 4 = 0.5
    assert influence_se(influence, np.array([0, 0, 1, 1])) == pytest.approx(0.5)
    # one row per cluster: the independent formula times sqrt(G / (G - 1))
    assert influence_se(influence, np.arange(4)) == pytest.approx(np.sqrt(18) / 4 * np.sqrt(4 / 3))


def _confounded(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    t = rng.random(n) < 1 / (1 + np.exp(1.0 - x[:, 0]))
    y = 1.0 * t + x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=n)
    return x, t, y


def test_copied_rows_do_not_shrink_a_clustered_interval() -> None:
    """Every unit twice: the estimate is unchanged; the independent-rows SE falls by
    sqrt(2) (a false gain in precision), the clustered SE stays at the original's."""
    x, t, y = _confounded(2000, seed=1)
    once = IPW("att").fit(x, t, y).result_
    twice = lambda **kw: IPW("att").fit(np.vstack([x, x]), np.r_[t, t], np.r_[y, y], **kw).result_  # noqa: E731
    naive, clustered = twice(), twice(clusters=np.r_[np.arange(2000), np.arange(2000)])
    assert naive.estimate == pytest.approx(once.estimate) and clustered.estimate == pytest.approx(once.estimate)
    assert naive.std_error == pytest.approx(once.std_error / np.sqrt(2), rel=1e-6)
    assert clustered.std_error == pytest.approx(once.std_error * np.sqrt(2000 / 1999), rel=1e-6)
    assert clustered.extra["clusters"] == 2000


def test_matching_says_it_ignores_clusters_and_lengths_are_checked() -> None:
    x, t, y = _confounded(600, seed=2)
    result = Matching("att").fit(x, t, y, clusters=np.arange(600) // 2).result_
    assert result.extra["clusters_ignored"] == 300
    with pytest.raises(UsageError, match="one label per row"):
        IPW("att").fit(x, t, y, clusters=np.arange(10))
