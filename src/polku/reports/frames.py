"""The report's results as plain tables: counts to frames and back, and typed columns.

Why: a section's `compute` stores its results in an analysis run as Parquet, and its
`render` reads them back later, perhaps in another process. Only plain typed columns
(text, whole numbers, floats, dates) in a fixed row order survive that unchanged, so every
section builds its tables with these helpers instead of converting dicts by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import pandas as pd

from polku.errors import PolkuError
from polku.typed import typed_frame

__all__ = ["COUNT", "count_frame", "counts_of", "pairs_of", "table", "typed_frame"]

COUNT = "count"
"""The column of counts in a count table; every other column is part of the key."""

K = TypeVar("K", bound=str | tuple[str, ...])


def count_frame(counts: Mapping[K, int], *keys: str) -> pd.DataFrame:
    """Counts keyed by text (or tuples of text) as a table: one column per key part, then
    `count`; rows sorted by key so the same counts always give the same table."""
    names = keys or ("key",)
    rows = sorted(((k,) if isinstance(k, str) else tuple(k), int(n)) for k, n in counts.items())
    if any(len(key) != len(names) for key, _ in rows):
        raise ValueError(f"count keys do not have {len(names)} parts: {names}")
    data = {name: pd.Series([key[i] for key, _ in rows], dtype=object) for i, name in enumerate(names)}
    data[COUNT] = pd.Series([n for _, n in rows], dtype="int64")
    return pd.DataFrame(data)


def counts_of(frame: pd.DataFrame) -> dict[str, int]:
    """A one-key count table back as {key: count}, in the table's row order."""
    (key,) = [c for c in frame.columns if c != COUNT]
    return {str(k): int(n) for k, n in zip(frame[key], frame[COUNT])}


def pairs_of(frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    """A two-key count table back as {(row key, column key): count}."""
    first, second = [c for c in frame.columns if c != COUNT]
    return {(str(a), str(b)): int(n) for a, b, n in zip(frame[first], frame[second], frame[COUNT])}


def table(results: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """The run's table `name`; a run made by an older Polku without it gets a clear error."""
    try:
        return results[name]
    except KeyError:
        raise PolkuError(
            f"the analysis run has no table {name!r}",
            why="the report reads only what the run stored, and this Polku shows a table the run lacks",
            fix="make a new run with `polku analyse` and report that run",
        ) from None
