"""Disclosure control on hand-made tables: primary and secondary suppression, markers, shares.

Secondary suppression has two parts: no hidden value can be solved, and the hidden parts of
no line add up to a small count (their sum is the shown total minus the shown parts).

The secondary-suppression tests do not trust `sdc.determined`: they enumerate every table
of non-negative integers that agrees with what is shown and check that each hidden value
can take at least two values (an attacker who knows the shown cells and margins cannot
pin it down).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polku import sdc
from polku.errors import ConfigurationError

T = 10


def _full_grid(counts: list[list[int]]) -> np.ndarray:
    """Cells with row totals, column totals and the grand total appended."""
    a = np.array(counts)
    with_rows = np.hstack([a, a.sum(axis=1, keepdims=True)])
    return np.vstack([with_rows, with_rows.sum(axis=0, keepdims=True)])


def _shown_grid(table: sdc.CountTable) -> list[list[int | None]]:
    rows = [list(cells) + [total] for cells, total in zip(table.cells, table.row_totals)]
    return rows + [list(table.col_totals) + [table.total]]


def _possible_values(table: sdc.CountTable, truth: np.ndarray) -> dict[tuple[int, int], set[int]]:
    """Every value each hidden entry takes in some non-negative table agreeing with the shown.

    Depth-first over the hidden cells in row order; a cell is forced when it is the last
    hidden one of a row or column whose total is shown, and otherwise tried from 0 up to
    the room left in its row and column (the grand total when nothing bounds it).
    """
    shown = _shown_grid(table)
    r, c = truth.shape[0] - 1, truth.shape[1] - 1
    unknown = [(i, j) for i in range(r) for j in range(c) if shown[i][j] is None]
    grid = np.array([[shown[i][j] or 0 for j in range(c)] for i in range(r)])
    hidden = {(i, j) for i in range(r + 1) for j in range(c + 1) if shown[i][j] is None}
    options: dict[tuple[int, int], set[int]] = {key: set() for key in hidden}
    bound = int(truth[r, c])

    def room(i: int, j: int) -> int:
        limits = [bound]
        if shown[i][c] is not None:
            limits.append(shown[i][c] - int(grid[i].sum()))
        if shown[r][j] is not None:
            limits.append(shown[r][j] - int(grid[:, j].sum()))
        return min(limits)

    def last_in_row(k: int) -> bool:
        i = unknown[k][0]
        return shown[i][c] is not None and all(u[0] != i for u in unknown[k + 1 :])

    def last_in_col(k: int) -> bool:
        j = unknown[k][1]
        return shown[r][j] is not None and all(u[1] != j for u in unknown[k + 1 :])

    def visit(k: int) -> None:
        if k == len(unknown):
            full = _full_grid(grid.tolist())
            if all(shown[i][j] is None or shown[i][j] == full[i, j] for i in range(r + 1) for j in range(c + 1)):
                for key in hidden:
                    options[key].add(int(full[key]))
            return
        i, j = unknown[k]
        space = room(i, j)
        values = [space] if (last_in_row(k) or last_in_col(k)) else range(space + 1)
        for v in values:
            if v >= 0:
                grid[i, j] = v
                visit(k + 1)
        grid[i, j] = 0

    visit(0)
    return options


def _solvable_by_linear_algebra(table: sdc.CountTable) -> list[tuple[int, int]]:
    """Hidden entries fixed by the margin equations: zero in every null-space vector (SVD)."""
    shown = _shown_grid(table)
    r, c = len(shown) - 1, len(shown[0]) - 1
    hidden = [(i, j) for i in range(r + 1) for j in range(c + 1) if shown[i][j] is None]
    col = {key: k for k, key in enumerate(hidden)}
    lines = [[(i, j) for j in range(c)] + [(i, c)] for i in range(r + 1)]
    lines += [[(i, j) for i in range(r)] + [(r, j)] for j in range(c + 1)]
    matrix = np.zeros((len(lines), len(hidden)))
    for row, line in enumerate(lines):
        for k, key in enumerate(line):
            if key in col:
                matrix[row, col[key]] += -1.0 if k == len(line) - 1 else 1.0
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-9).sum())
    null = vt[rank:]
    return [key for key in hidden if np.allclose(null[:, col[key]], 0.0)] if len(null) else hidden


def _assert_protected(counts: list[list[int]], *, enumerate_all: bool = False, t: int = T) -> sdc.CountTable:
    table = sdc.count_table(counts, [f"r{i}" for i in range(len(counts))], [f"c{j}" for j in range(len(counts[0]))], t=t)
    for row in _shown_grid(table):
        assert not any(v is not None and 0 < v < t for v in row), "a small count is shown"
    assert _solvable_by_linear_algebra(table) == []
    shown = _shown_grid(table)
    for line in [*shown, *(list(col) for col in zip(*shown))]:  # rows, then columns, each ending with its total
        parts, total = line[:-1], line[-1]
        if total is not None:
            rest = total - sum(v for v in parts if v is not None)
            assert not 0 < rest < t, f"hidden parts of {line} add up to {rest}"
    if enumerate_all:
        for entry, values in _possible_values(table, _full_grid(counts)).items():
            assert len(values) >= 2, f"hidden entry {entry} can be worked out: {values}"
    return table


def test_primary_rule_hides_small_counts_and_shows_zero_and_large() -> None:
    table = sdc.distribution({"a": 3, "b": 0, "c": 25, "d": 40}, t=T)
    assert table.column() == {"a": None, "b": 0, "c": None, "d": 40}
    assert table.total == 68 and table.sdc_applied


def test_one_hidden_cell_in_a_line_gets_the_next_smallest_as_partner() -> None:
    table = sdc.distribution({"a": 3, "b": 12, "c": 30}, t=T)
    assert table.column() == {"a": None, "b": None, "c": 30}
    assert table.total == 45


def test_nothing_hidden_when_every_count_is_large_enough() -> None:
    table = sdc.distribution({"a": 10, "b": 11}, t=T)
    assert table.column() == {"a": 10, "b": 11} and not table.sdc_applied


def test_row_with_small_total_is_hidden_whole() -> None:
    table = _assert_protected([[2, 3, 1], [20, 30, 40], [15, 12, 25]], enumerate_all=True)
    assert table.cells[0] == (None, None, None) and table.row_totals[0] is None


def test_cross_table_hidden_cells_cannot_be_recovered() -> None:
    table = _assert_protected([[4, 15, 22], [18, 25, 30], [12, 11, 40]], enumerate_all=True)
    assert table.cells[0][0] is None
    assert sum(v is None for row in table.cells for v in row) >= 4  # a rectangle at least


@pytest.mark.parametrize("seed", range(40))
def test_random_small_tables_are_protected(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (2 + seed % 3, 2 + seed % 4)
    _assert_protected(rng.choice([0, 1, 2, 5, 9, 11, 14, 20, 35], size=shape).tolist())


def test_a_protected_table_has_no_line_with_one_hidden_entry() -> None:
    table = sdc.count_table([[14, 20, 2], [1, 14, 14]], ["a", "b"], ["x", "y", "z"], t=T)
    assert table.cells == ((None, 20, None), (None, 14, None))  # the rectangle, not more
    assert table.row_totals == (36, 29) and table.col_totals == (15, 34, 16)


def test_linear_algebra_check_finds_a_determined_cell() -> None:
    # x0 + x1 = x2 alone: two hidden entries of one line cannot be solved ...
    assert sdc.determined({0, 2}, [sdc.Line((0, 1), 2)]) == []
    # ... but a second line x0 = x3 with x3 shown fixes x0, and then x2 = x0 + x1
    assert sdc.determined({0, 2}, [sdc.Line((0, 1), 2), sdc.Line((0,), 3)]) == [0, 2]


def test_marker_is_two_dots_never_zero_or_blank() -> None:
    assert sdc.MARKER == ".."
    assert sdc.show(None) == ".." and sdc.show(0) == "0"


def test_threshold_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_MIN_CELL_SIZE", "5")
    assert sdc.threshold() == 5
    assert sdc.distribution({"a": 7, "b": 4, "c": 9}).column() == {"a": None, "b": None, "c": 9}


def test_threshold_below_three_fails_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_MIN_CELL_SIZE", "2")
    with pytest.raises(ConfigurationError, match="at least 3"):
        sdc.threshold()


def test_percentages_and_means_withheld_on_small_denominators() -> None:
    assert sdc.share(5, 9, t=T).value is None
    assert sdc.share(20, 40, t=T).value == pytest.approx(50.0)
    assert sdc.share(3, 40, t=T).value is None, "numerator is a small count"
    assert sdc.share(37, 40, t=T).value is None, "its complement (3) is a small count"
    assert sdc.mean(900.0, 9, t=T).value is None and sdc.mean(1000.0, 10, t=T).value == 100.0
    assert sdc.share(5, 9, t=T).sdc_applied and not sdc.share(20, 40, t=T).sdc_applied


def test_sums_over_few_people_are_withheld() -> None:
    assert sdc.amount(12000.0, 4, t=T).value is None
    assert sdc.amount(12000.0, 12, t=T).value == 12000.0


small_counts = st.sampled_from([0, 0, 1, 2, 3, 7, 9, 10, 12, 25, 60])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda rows: st.integers(1, 4).flatmap(
            lambda cols: st.lists(st.lists(small_counts, min_size=cols, max_size=cols), min_size=rows, max_size=rows)
        )
    )
)
def test_any_small_table_is_protected(counts: list[list[int]]) -> None:
    _assert_protected(counts)


def test_a_complement_never_shown_needs_a_partner_only_when_small() -> None:
    """Participants = in the estimate + trimmed, the trimmed never shown but taken as known:
    40 trimmed may be worked out (100 - 60), 4 may not, so the 66 beside 70 is hidden."""
    line = [sdc.Line((1, 2), 0)]
    assert sdc.protect([100, 60, 40], line, set(), t=T) == set()
    assert sdc.protect([70, 66, 4], line, {2}, t=T) == {1, 2}
