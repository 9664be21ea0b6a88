"""The thinned comparison pool (`polku.cohort.pool`): the same draws to the row as the whole
pool, with a fraction of its rows, and a day that falls short all the same taken whole."""

from __future__ import annotations

import functools
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polku.cohort import pool as thin
from polku.cohort.build import CohortBuilder, CohortSpec, build_cohort, service_categories
from polku.cohort.draw import at_risk, own_target_group
from polku.store import Store

SEED = 6


def test_kept_fraction_known_answers() -> None:
    """Need 10 of 1,000 eligible: (10 + 6 x sqrt(10) + 20) / 1,000 = 0.0489737 (by hand);
    a need the day cannot meet keeps the whole day, and no need keeps nothing."""
    assert thin.kept_fraction(10, 1000) == pytest.approx(0.04897366, abs=1e-8)
    assert thin.kept_fraction(10, 10) == 1.0 and thin.kept_fraction(10, 40) == 1.0
    assert thin.kept_fraction(0, 500) == 0.0
    assert thin.key_below(0.5) == "80000000" and thin.key_below(1.0) == thin.WHOLE_DAY
    assert "f" * 64 < thin.WHOLE_DAY  # every hexadecimal key sorts below a whole day's threshold


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-7, 1.0, exclude_max=True), st.integers(0, 16**8 - 1))
def test_a_threshold_keeps_its_fraction_of_keys(fraction: float, prefix: int) -> None:
    """A key sorts below the threshold exactly when its first eight hex digits, as a number,
    are below ceil(fraction x 16^8): so uniform keys are kept with probability
    `fraction`, to 16^-8."""
    below, kept = thin.key_below(fraction), math.ceil(fraction * 16**8)
    key = format(prefix, "08x") + "0" * 56
    assert (key < below) == (prefix < kept)
    assert below == thin.WHOLE_DAY if kept == 16**8 else abs(int(below, 16) / 16**8 - fraction) <= 16**-8


def _variants(store: Store) -> list[tuple[str, bool]]:
    """Every service's draw, and the target-group draw where a target group adds a rule."""
    categories = service_categories(store)
    return sorted([(code, False) for code in categories] + [(c, True) for c, cat in categories.items() if own_target_group(cat)])


# the draws with no rule, with the law's rule, and with a target group's own rule
RULED = [("COACH", False), ("REHAB", False), ("IPS", True)]


def _builder_cohorts(
    store: Store, variants: list[tuple[str, bool]] | None = None
) -> tuple[dict[tuple[str, bool], pd.DataFrame], int]:
    builder = CohortBuilder(store, seed=SEED)
    try:
        cohorts = {(code, target): builder.cohort(code, target_group=target) for code, target in variants or _variants(store)}
        return cohorts, int(builder._shared_pool().count().execute())
    finally:
        builder.release()


def _assert_same_as_whole_pool(store: Store, cohorts: dict[tuple[str, bool], pd.DataFrame]) -> None:
    for (code, target), frame in cohorts.items():
        whole = build_cohort(store, CohortSpec(code, seed=SEED, target_group=target))  # its own, unthinned pool
        pd.testing.assert_frame_equal(frame, whole)
        assert (~frame.treated).sum() > 0


def test_the_thin_pool_draws_the_same_rows_as_the_whole_pool(store: Store) -> None:
    """Every service's cohort, and supported employment's target-group cohort, from the
    builder's thinned pool equals `build_cohort`'s on its own whole pool, while the thinned
    pool holds under a third of the at-risk rows (at 100,000 clients, under a tenth: docs/scale.md)."""
    cohorts, pool_rows = _builder_cohorts(store)
    _assert_same_as_whole_pool(store, cohorts)
    table = functools.cache(store.table)
    e = table("service_episode")
    days = e.filter(e.completion_status != "did_not_start").select(ref_date=e.start_date).distinct()
    everyone = int(at_risk(table, days).count().execute())
    assert pool_rows < everyone / 3


def test_a_day_that_falls_short_is_taken_whole(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """With thresholds set too low (no spare rows, minus three SDs), many days fall short;
    they are taken whole, and the draws stay the same to the row."""
    found: list[int] = []
    original = thin.short_days

    def counted(*args: object) -> list[object]:
        days = original(*args)  # type: ignore[arg-type]
        found.append(len(days))
        return days

    monkeypatch.setattr(thin, "SPARE_ROWS", 0)
    monkeypatch.setattr(thin.kept_fraction, "__defaults__", (-3.0,))
    monkeypatch.setattr("polku.cohort.build.short_days", counted)
    cohorts, _ = _builder_cohorts(store, RULED)  # the pool serves every draw; three kinds of rule are checked
    assert found and found[0] > 10
    _assert_same_as_whole_pool(store, cohorts)
