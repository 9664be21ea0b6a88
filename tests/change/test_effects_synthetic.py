"""Known answer from the synthetic area: the generator writes each participant's change
with and without the service (`ground_truth_change.csv`); the effect estimated from the
imported store, on the same participants, must hold that truth."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from polku.change.effects import measurements, service_effects, shipped_scales
from polku.identity import PseudonymKey
from polku.ingest import import_folder
from polku.store import Store, open_store
from polku.synth import generate

SEED = 5
KEY = PseudonymKey(bytes.fromhex("5e" * 32), 1)


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, pd.DataFrame]]:
    folder = tmp_path_factory.mktemp("change_area")
    generate(clients=3000, seed=SEED, out_dir=folder / "area", flaw_rate=0)
    store = open_store(folder / "polku.duckdb")
    import_folder(store, folder / "area", key=KEY)
    yield store, pd.read_csv(folder / "area" / "ground_truth_change.csv")
    store.close()


@pytest.mark.slow
def test_coaching_effects_hold_the_truth(area: tuple[Store, pd.DataFrame]) -> None:
    """Coaching, 6 months, every item: the truth (mean with - without change of the analysed
    participants, measured later or not) lies within 3 standard errors of the estimate, and
    the mean error over the six items is under 0.1 points (the benchmark's 50 areas, in
    docs/methods.md, give the bias at finer precision)."""
    store, truth = area
    table, frames = service_effects(store, "COACH", shipped_scales(), measurements(store), seed=SEED)
    errors = []
    for row in table[(table["client_group"] == "all") & (table["months"] == 6)].itertuples():
        part = frames[(row.item, 6)]
        ids = part.loc[part["treated"].astype(bool), "episode_id"]
        mine = truth[(truth["item"] == row.item) & (truth["months"] == 6) & truth["episode_id"].isin(ids)]
        assert len(mine) == row.participants
        effect = float((mine["change_with"] - mine["change_without"]).mean())
        assert abs(row.estimate - effect) < 3 * row.std_error, (row.item, row.estimate, effect)
        errors.append(row.estimate - effect)
    assert len(errors) == 6 and abs(sum(errors) / 6) < 0.1
