"""Small vectorised helpers for drawing categories and looking up banded values."""

from __future__ import annotations

from typing import Any

import numpy as np


def categorical(u: np.ndarray, probabilities: Any) -> np.ndarray:
    """Index of the category each uniform falls in, for one probability vector."""
    p = np.asarray(list(probabilities), dtype=np.float64)
    edges = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(edges, u, side="right"), len(p) - 1).astype(np.int8)


def categorical_rows(u: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Index per row when every row has its own probability vector (rows sum to one)."""
    edges = np.cumsum(probabilities, axis=1)
    edges[:, -1] = np.inf
    return (u[:, None] >= edges).sum(axis=1).astype(np.int8)


def banded(values: np.ndarray, bands: list[list[float]]) -> np.ndarray:
    """The third entry of the band [low, high, x] each value falls in (bands are inclusive)."""
    out = np.zeros(len(values), dtype=np.float64)
    for low, high, x in bands:
        out[(values >= low) & (values < high + 1)] = x
    return out


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def weights(mapping: dict[Any, float]) -> tuple[list[Any], np.ndarray]:
    """Keys and normalised weights of a {key: weight} mapping, keys in file order."""
    keys = list(mapping)
    w = np.array([mapping[k] for k in keys], dtype=np.float64)
    return keys, w / w.sum()
