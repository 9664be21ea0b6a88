"""Finnish tax and benefit rules as pure, vectorised functions of (columns, parameters).

A rule computes one named quantity (a column) for every person at once from input columns,
earlier rules' columns and the parameters in force (`polku.fiscal.legislation.Snapshot`).
Rules hold no numbers that change by year; where the law's *structure* changed (the
municipal earned income deduction abolished in 2025, the work income credit's second
phase-out abolished in 2026), the parameter files carry the change (a zero from the date)
so one rule serves every year.

`run` evaluates a chain of rules in order. With `trace`, it also keeps, per rule, the
parameters each one read, which is what makes a person's result printable line by line
back to the law (`polku.fiscal.explain`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass

import numpy as np

from polku.fiscal.legislation import Reading, Snapshot

Columns = Mapping[str, np.ndarray]
Compute = Callable[[Columns, Snapshot], np.ndarray]


@dataclass(frozen=True)
class Rule:
    """One line of the calculation: its column name, the function and its legal basis."""

    name: str
    compute: Compute
    law: str

    @property
    def description(self) -> str:
        """The first paragraph of the function's docstring, on one line."""
        return " ".join((self.compute.__doc__ or self.name).strip().split("\n\n")[0].split())


def run(
    rules: Iterable[Rule],
    columns: MutableMapping[str, np.ndarray],
    p: Snapshot,
    trace: dict[str, list[Reading]] | None = None,
) -> MutableMapping[str, np.ndarray]:
    """Evaluate `rules` in order, adding each result to `columns` (returned)."""
    for rule in rules:
        snapshot = p.recording(trace.setdefault(rule.name, [])) if trace is not None else p
        columns[rule.name] = np.asarray(rule.compute(columns, snapshot), dtype=float)
    return columns


def between(age: np.ndarray, low: float, high: float) -> np.ndarray:
    """True where `low <= age <= high` (the statutory age limits are inclusive)."""
    return (age >= low) & (age <= high)


def positive(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)
