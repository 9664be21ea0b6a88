"""The per-service work in worker processes (`polku.pipeline.workers`) gives the same
results, to the bit and in the same order, as in the analysis's own process: the services'
views (estimates, checks, curves, expected versus observed), the effects on change and on
reaching goals, and the equal-treatment effects, on a 3,000-client synthetic area."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pytest

from polku.change.effects import store_effects
from polku.change.goal_effects import store_goal_effects
from polku.equality.compute import _effect_rows, attributes
from polku.pipeline.store_views import store_views
from polku.pipeline.workers import map_in_order
from polku.store.snapshots import open_snapshot
from synthetic_areas import Area

SERVICES = ["COACH", "TRAIN"]


def test_results_come_in_the_items_order_and_items_are_drawn_as_workers_free() -> None:
    drawn: list[int] = []

    def items() -> Iterator[int]:
        for i in range(7):
            drawn.append(i)
            yield i

    results = map_in_order(operator.neg, items(), workers=2)
    assert next(results) == 0
    assert len(drawn) == 3  # two workers busy and one more built: never the whole list
    assert list(results) == [-1, -2, -3, -4, -5, -6]
    assert list(map_in_order(operator.neg, iter([]), workers=2)) == []
    assert list(map_in_order(operator.neg, range(3), workers=1)) == [0, -1, -2]


def _everything(area: Area, workers: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.setenv("POLKU_ANALYSIS_WORKERS", str(workers))
    with open_snapshot(area.store_path) as store:
        views = store_views(store, services=SERVICES, seed=3)
        return {
            "views": views,
            "change": store_effects(store, seed=3, services=SERVICES),
            "goals": store_goal_effects(store, seed=3, services=SERVICES),
            "equality": pd.DataFrame(_effect_rows(views, attributes(), "aipw", 3)),
        }


@pytest.fixture(scope="module")
def area(shared_area: Callable[[int, int], Area]) -> Area:
    return shared_area(3000, 11)


def test_two_workers_give_what_one_process_gives(area: Area) -> None:
    with pytest.MonkeyPatch.context() as patch:
        alone = _everything(area, 1, patch)
        spread = _everything(area, 2, patch)
    one, two = alone["views"], spread["views"]
    assert isinstance(one, list) and isinstance(two, list)
    assert [v.service_code for v in two] == SERVICES
    for a, b in zip(one, two):
        assert [r.to_dict() for r in a.rows] == [r.to_dict() for r in b.rows]
        assert a.overall.result.estimate is not None and np.isfinite(a.overall.result.estimate)
        pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
        assert a.checks == b.checks and a.expected == b.expected
        assert repr(a.survival) == repr(b.survival)
    for name in ("change", "goals", "equality"):
        first, second = alone[name], spread[name]
        assert isinstance(first, pd.DataFrame) and isinstance(second, pd.DataFrame)
        assert len(first) > 0
        pd.testing.assert_frame_equal(first, second, check_exact=True)
    assert alone["equality"]["group_estimate"].notna().any()  # type: ignore[index]
