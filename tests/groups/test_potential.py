"""Client groups by employment potential: a comparison person's own outcome never moves
their own chance (cross-fitting), and the cut points are applied as documented."""

from __future__ import annotations

import numpy as np

from polku.groups import HIGH, LOW, potential_groups


def _people(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    treated = rng.random(n) < 0.3
    employed = (rng.random(n) < 1 / (1 + np.exp(-X[:, 0]))).astype(float)
    return X, treated, employed


def test_a_comparison_persons_own_outcome_does_not_move_their_chance() -> None:
    X, treated, employed = _people()
    chance, _ = potential_groups(X, treated, employed)
    for i in np.flatnonzero(~treated)[:5]:
        flipped = employed.copy()
        flipped[i] = 1 - flipped[i]
        again, _ = potential_groups(X, treated, flipped)
        assert again[i] == chance[i]
        assert not np.allclose(again, chance)  # other people's chances do move


def test_participants_get_the_model_of_all_comparison_rows_and_labels_follow_the_cut_points() -> None:
    X, treated, employed = _people(seed=1)
    chance, labels = potential_groups(X, treated, employed)
    flipped = employed.copy()
    flipped[np.flatnonzero(treated)[0]] = 1 - flipped[np.flatnonzero(treated)[0]]
    assert np.array_equal(potential_groups(X, treated, flipped)[0], chance)  # no participant outcome is used
    assert set(labels[chance >= HIGH]) == {"high"} and set(labels[chance < LOW]) == {"low"}
    assert set(labels[(chance >= LOW) & (chance < HIGH)]) == {"medium"}
