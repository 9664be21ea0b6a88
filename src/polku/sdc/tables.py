"""The disclosure engine: tables of counts with their margins, shares, means and sums.

Why: the store holds work-ability data (a GDPR Art. 9 special category) of small
municipalities; a count of 2 in "Swedish-speaking clients of Pelkosenniemi" can point at a
person. The rules follow the project's policy (docs/report.md, identity-and-privacy §1):

- primary suppression: a count of people from 1 to T-1 (T = `settings.min_cell_size()`,
  default 10, never below 3) is hidden; true zeros describe nobody and stay visible;
- secondary suppression: no hidden value may be solved from the shown values and the
  margins. Every line (a set of entries that adds up to a margin entry) holds either no
  hidden entry or at least two; the hidden parts of a line with a shown total never add
  up to a small count; a row whose total is below T is hidden whole; afterwards a
  linear-algebra check adds complements until no hidden entry is exactly determined;
- shares and means only when the denominator is at least T (and a share only when neither
  its numerator nor its complement is a hidden-size count);
- hidden values are shown as `..`, never as 0 or blank; results carry `sdc_applied`.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np

from polku import settings

MARKER = ".."


def threshold() -> int:
    """The minimum cell size in force (settings refuse values below 3 at start-up)."""
    return settings.min_cell_size()


def is_sensitive(count: int, t: int) -> bool:
    """A count of people that is small enough to point at someone."""
    return 0 < count < t


def show(value: int | float | None, fmt: str = "{:,}") -> str:
    """Text of a protected value: the marker for a hidden one, never 0 or blank."""
    if value is None:
        return MARKER
    return fmt.format(value).replace(",", "\u202f")


# --- the general engine: entries and additive lines -------------------------------------


@dataclass(frozen=True)
class Line:
    """Entries `parts` add up to entry `total` (a row, a column or a margin line)."""

    parts: tuple[int, ...]
    total: int

    @property
    def members(self) -> tuple[int, ...]:
        return (*self.parts, self.total)


def _needs_partner(hidden: set[int], values: Sequence[int], line: Line, lines: Sequence[Line]) -> int | None:
    """The entry to hide when exactly one entry of the line is hidden, else None.

    Prefer a cell whose other line also waits for a partner (one cell then protects two
    lines, the classic rectangle), then the smallest positive value, then inner cells.
    """
    members = line.members
    if sum(m in hidden for m in members) != 1:
        return None
    candidates = [m for m in members if m not in hidden and values[m] > 0]
    candidates = candidates or [m for m in members if m not in hidden]
    waiting = {m for other in lines if other is not line and sum(x in hidden for x in other.members) == 1 for m in other.members}
    return min(candidates, key=lambda m: (m not in waiting, values[m], m == line.total, m)) if candidates else None


def _apply_line_rule(hidden: set[int], values: Sequence[int], lines: Sequence[Line]) -> None:
    """Hide partners until no line has a single hidden entry (it would be a difference)."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            partner = _needs_partner(hidden, values, line, lines)
            if partner is not None:
                hidden.add(partner)
                changed = True


def determined(hidden: set[int], lines: Sequence[Line]) -> list[int]:
    """Hidden entries whose value follows exactly from the shown ones and the lines.

    Entry k is determined when its unit vector lies in the row space of the line equations
    restricted to the hidden entries (rank does not grow when the vector is added).
    """
    order = sorted(hidden)
    if not order:
        return []
    position = {entry: i for i, entry in enumerate(order)}
    rows = []
    for line in lines:
        row = np.zeros(len(order))
        for m in line.parts:
            if m in position:
                row[position[m]] += 1.0
        if line.total in position:
            row[position[line.total]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return []
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    eye = np.eye(len(order))
    return [e for e in order if np.linalg.matrix_rank(np.vstack([matrix, eye[position[e]]])) == rank]


def _break_determined(hidden: set[int], values: Sequence[int], lines: Sequence[Line], entry: int) -> None:
    """Hide the smallest shown entry of a line through `entry` (else anywhere) so it is no
    longer solvable."""
    near = [m for line in lines if entry in line.members for m in line.members if m not in hidden]
    shown = near or [m for m in range(len(values)) if m not in hidden]
    positive = [m for m in shown if values[m] > 0] or shown
    hidden.add(min(positive, key=lambda m: (values[m], m)))


def _small_sum_partner(hidden: set[int], values: Sequence[int], lines: Sequence[Line], t: int) -> int | None:
    """A shown part to hide when the hidden parts of a line with a shown total add up to 1..T-1.

    Why: each hidden cell may be undetermined and still their sum is the shown total minus
    the shown parts; three municipalities of 3, 2 and 4 clients beside a shown total say
    "these three together have 9". The smallest positive shown part joins them."""
    for line in lines:
        if line.total in hidden:
            continue
        if is_sensitive(sum(values[m] for m in line.parts if m in hidden), t):
            shown = [m for m in line.parts if m not in hidden and values[m] > 0]
            if shown:
                return min(shown, key=lambda m: (values[m], m))
    return None


def protect(values: Sequence[int], lines: Sequence[Line], primary: AbstractSet[int], *, t: int | None = None) -> set[int]:
    """Entries to hide: the primary ones plus complements so none can be solved, and (with
    the threshold `t`) so that the hidden parts of no line add up to a small count.

    An entry that is never shown (a complement such as "participants trimmed") counts as
    known to the reader unless it is primary: it may be learnt elsewhere, so it never
    protects another entry, and a small one is protected like a small cell."""
    hidden = set(primary)
    while hidden and len(hidden) < len(values):
        _apply_line_rule(hidden, values, lines)
        partner = None if t is None else _small_sum_partner(hidden, values, lines, t)
        if partner is not None:
            hidden.add(partner)
            continue
        solvable = determined(hidden, lines)
        if not solvable:
            break
        _break_determined(hidden, values, lines, solvable[0])
    return hidden


# --- tables people see ------------------------------------------------------------------


@dataclass(frozen=True)
class CountTable:
    """A protected cross-table of counts with row and column totals; None means hidden.

    A one-way distribution is a table with one column (its row totals are not repeated).
    """

    row_keys: tuple[str, ...]
    col_keys: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    col_totals: tuple[int | None, ...]
    total: int | None
    threshold: int
    sdc_applied: bool

    def column(self, index: int = 0) -> dict[str, int | None]:
        return {key: row[index] for key, row in zip(self.row_keys, self.cells)}


def _grid_lines(n_rows: int, n_cols: int) -> list[Line]:
    """Lines of an (r+1) x (c+1) grid stored row-major; the last row/column are margins."""
    width = n_cols + 1
    at = lambda i, j: i * width + j  # noqa: E731 - tiny index helper
    lines = [Line(tuple(at(i, j) for j in range(n_cols)), at(i, n_cols)) for i in range(n_rows + 1)]
    lines += [Line(tuple(at(i, j) for i in range(n_rows)), at(n_rows, j)) for j in range(n_cols + 1)]
    return lines


def _grid(counts: Sequence[Sequence[int]]) -> list[int]:
    """Cells with their margins appended, row-major."""
    rows = [list(r) + [sum(r)] for r in counts]
    margin = [sum(col) for col in zip(*rows)] if rows else [0]
    return [v for row in rows + [margin] for v in row]


def _primary(grid: list[int], n_rows: int, n_cols: int, t: int) -> set[int]:
    """Small cells, and whole rows (with their total) whose total is small."""
    width = n_cols + 1
    hidden = {k for k, v in enumerate(grid[: n_rows * width]) if is_sensitive(v, t)}
    for i in range(n_rows):
        if is_sensitive(grid[i * width + n_cols], t):
            hidden.update(range(i * width, (i + 1) * width))
    hidden.update(j for j in range(n_rows * width, len(grid)) if is_sensitive(grid[j], t))
    return hidden


def count_table(
    counts: Sequence[Sequence[int]],
    row_keys: Sequence[str],
    col_keys: Sequence[str],
    *,
    t: int | None = None,
) -> CountTable:
    """Protect a table of counts of people (rows x columns) together with its margins."""
    t = threshold() if t is None else t
    n_rows, n_cols = len(row_keys), len(col_keys)
    grid = _grid(counts) if n_rows else [0] * (n_cols + 1)
    hidden = protect(grid, _grid_lines(n_rows, n_cols), _primary(grid, n_rows, n_cols, t), t=t)
    value = lambda k: None if k in hidden else grid[k]  # noqa: E731
    width = n_cols + 1
    return CountTable(
        row_keys=tuple(row_keys),
        col_keys=tuple(col_keys),
        cells=tuple(tuple(value(i * width + j) for j in range(n_cols)) for i in range(n_rows)),
        row_totals=tuple(value(i * width + n_cols) for i in range(n_rows)),
        col_totals=tuple(value(n_rows * width + j) for j in range(n_cols)),
        total=value(n_rows * width + n_cols),
        threshold=t,
        sdc_applied=bool(hidden),
    )


def distribution(counts: dict[str, int], *, t: int | None = None) -> CountTable:
    """Protect a one-way distribution of people with its total (one column)."""
    keys = list(counts)
    return count_table([[counts[k]] for k in keys], keys, ["n"], t=t)


def separate_counts(counts: dict[str, int], *, t: int | None = None) -> tuple[dict[str, int | None], bool]:
    """Counts shown without any total (e.g. distinct clients per provider): primary rule only."""
    t = threshold() if t is None else t
    shown = {k: (None if is_sensitive(v, t) else v) for k, v in counts.items()}
    return shown, any(v is None for v in shown.values())


def organisation_counts(counts: Sequence[int]) -> tuple[int, ...]:
    """Counts about organisations, not people (rows of the service catalogue, providers,
    teams, case-worker lists): exempt from the threshold, and marked so here, in the one
    module an auditor reads, rather than skipped silently in a view."""
    return tuple(int(c) for c in counts)


# --- derived statistics ----------------------------------------------------------------


@dataclass(frozen=True)
class Statistic:
    """A share, mean or sum with the n it rests on; `value` is None when withheld."""

    value: float | None
    n: int
    sdc_applied: bool

    def text(self, fmt: str = "{:.1f}") -> str:
        return show(self.value, fmt)


def share(numerator: int, denominator: int, *, t: int | None = None) -> Statistic:
    """Percentage numerator/denominator, withheld when n < T or a part is a small count."""
    t = threshold() if t is None else t
    withheld = denominator < t or is_sensitive(numerator, t) or is_sensitive(denominator - numerator, t)
    value = None if withheld or denominator == 0 else 100.0 * numerator / denominator
    return Statistic(value, denominator, withheld)


def mean(total: float, n: int, *, t: int | None = None) -> Statistic:
    """Mean of n values, withheld when n < T."""
    t = threshold() if t is None else t
    withheld = n < t
    return Statistic(None if withheld or n == 0 else float(total) / n, n, withheld)


def amount(total: float, n: int, *, t: int | None = None) -> Statistic:
    """A sum over n people (e.g. euros), withheld when it rests on fewer than T of them."""
    t = threshold() if t is None else t
    withheld = is_sensitive(n, t)
    return Statistic(None if withheld else float(total), n, withheld)
