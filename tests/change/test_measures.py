"""Change per client and item, per service episode, and GAS T-scores on the hand-built store
(tests/change/change_helpers.py), each figure worked out by hand in the test's docstring."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pandas as pd
import pytest
from change_helpers import insert, pid
from hypothesis import given, settings
from hypothesis import strategies as st

from polku.change import gas_t_score, measures
from polku.store import Store, open_store


def _row(frame: pd.DataFrame, **keys: str) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for k, v in keys.items():
        mask &= frame[k] == v
    [index] = frame.index[mask]
    return frame.loc[index]


def test_sd_from_first_measurements_when_the_file_has_none(known_store: Store) -> None:
    """skills: first values 2, 3, 4 (A, B, C), 3 (D) and 1 (E, the lower id on its day):
    mean 2.6, sample SD sqrt(((-.6)^2 + .4^2 + 1.4^2 + .4^2 + (-1.6)^2) / 4) = sqrt(5.2 / 4)."""
    sd = measures.item_sd(known_store)
    skills = _row(sd, item="skills")
    assert skills["sd"] == pytest.approx(math.sqrt(5.2 / 4))
    assert skills["sd_source"] == "first_measurements"
    was = _row(sd, item="work_ability_score")
    assert (was["sd"], was["sd_source"], was["reliability"]) == (2.08, "reference", 0.89)


def test_first_to_latest_by_hand(known_store: Store) -> None:
    """SD sqrt(1.3) = 1.1402, r = 0.8: S_diff = sqrt(2) * 1.1402 * sqrt(0.2) = 0.7211.
    A +2 -> RCI 2.77 improved; B 0 unchanged; C -2 -> -2.77 worsened; D and E not counted.
    Mean change 0, SD of (2, 0, -2) = 2, distance 0 / 4.
    Work-ability score, SD 2.08, r 0.89: S_diff = sqrt(2) * 2.08 * sqrt(0.11) = 0.9756;
    A +2.5 -> 2.56 improved, B +1 -> 1.03 unchanged; mean 1.75, distance 1.75 / 10."""
    table = measures.item_changes(known_store, measures.item_sd(known_store))
    skills = _row(table, item="skills")
    assert (skills["clients"], skills["improved"], skills["unchanged"], skills["worsened"]) == (3, 1, 1, 1)
    assert (skills["mean_change"], skills["sd_change"], skills["mean_distance"]) == pytest.approx((0.0, 2.0, 0.0))
    was = _row(table, item="work_ability_score")
    assert (was["clients"], was["improved"], was["unchanged"], was["worsened"]) == (2, 1, 1, 0)
    assert (was["mean_change"], was["mean_distance"]) == pytest.approx((1.75, 0.175))


def test_classes_agree_with_the_reference_function(known_store: Store) -> None:
    """The vectorised RCI of every client equals polku.change.reliable_change."""
    from polku.change import reliable_change

    sd = measures.item_sd(known_store)
    rows = measures.classify(measures.first_latest(known_store), sd).execute()
    for r in rows.itertuples():
        expected = reliable_change(r.before, r.after, r.sd, r.reliability)
        assert r.rci == pytest.approx(expected)


def test_per_episode_by_hand(known_store: Store) -> None:
    """A's COACH episode 2024-01-10..05-20: start value 2 (2024-01-01, within 30 days), end
    value 4 (2024-06-01, within 30 days after the end) -> +2 improved. B's TRAIN episode
    2024-01-01..02-01: no measurement from 31 days after the start to 30 days after the end,
    so no start_end; after: 3 on 2024-06-01 -> 0 unchanged."""
    table = measures.service_changes(known_store, measures.item_sd(known_store))
    coach = _row(table, service_code="COACH", period="start_end", item="skills")
    assert (coach["clients"], coach["improved"], coach["mean_change"]) == (1, 1, 2.0)
    assert not ((table.service_code == "TRAIN") & (table.period == "start_end")).any()
    train = _row(table, service_code="TRAIN", period="start_after", item="skills")
    assert (train["clients"], train["unchanged"], train["mean_change"]) == (1, 1, 0.0)
    assert not ((table.service_code == "COACH") & (table.period == "start_after")).any()


def test_gas_by_hand(known_store: Store) -> None:
    """A: levels 1, 0, -1, weights 1, 2, 3 -> 45.593 (see test_formulas); B: one goal at 0
    -> 50; C's goal has no level. Two clients: one below 50, one at 50."""
    summary = measures.gas_summary(known_store).iloc[0]
    assert (summary["clients"], summary["below"], summary["at"], summary["above"]) == (2, 1, 1, 0)
    assert summary["mean_t"] == pytest.approx((45.593 + 50) / 2, abs=1e-3)
    levels = measures.gas_levels(known_store)
    assert dict(zip(levels.level, levels["count"])) == {"-1": 1, "0": 2, "1": 1}


def test_empty_store_gives_empty_tables_with_their_columns(empty_store: Store) -> None:
    tables = measures.summaries(empty_store)
    assert set(tables) == {"change_items", "change_services", "change_gas", "change_gas_levels"}
    assert all(len(t) == 0 for name, t in tables.items() if name != "change_gas")
    assert int(tables["change_gas"]["clients"].iloc[0]) == 0
    assert list(tables["change_items"].columns)[:3] == ["instrument", "item", "clients"]


def test_same_store_same_tables(known_store: Store) -> None:
    first, second = measures.summaries(known_store), measures.summaries(known_store)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name])


levels = st.lists(st.tuples(st.sampled_from([-2, -1, 0, 1, 2]), st.sampled_from([None, 0.5, 1.0, 4.0])), min_size=1, max_size=5)


@settings(max_examples=15, deadline=None)
@given(clients=st.lists(levels, min_size=1, max_size=4))
def test_vectorised_t_equals_the_function(empty_store_module: Store, clients: list[list[tuple[int, float | None]]]) -> None:
    """The store's T-score of each client equals gas_t_score of the client's goals."""
    store = empty_store_module
    store.con.execute("DELETE FROM goal")
    rows, n = [], 0
    for c, goals in enumerate(clients):
        for level, weight in goals:
            n += 1
            rows.append({"goal_id": f"G{n}", "person_id": pid(c), "domain": "skills", "set_on": "2024-01-01"})
            rows[-1] |= {"status": "achieved", "gas_level": level, "gas_weight": weight}
    insert(store, "goal", rows)
    scores = measures.gas_scores(store)
    assert scores is not None
    got = {r.person_id: r.t_score for r in scores.execute().itertuples()}
    for c, goals in enumerate(clients):
        expected = gas_t_score([lv for lv, _ in goals], [1.0 if w is None else w for _, w in goals])
        assert got[pid(c)] == pytest.approx(expected)


@pytest.fixture(scope="module")
def empty_store_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(tmp_path_factory.mktemp("gas") / "polku.duckdb")
    yield store
    store.close()
