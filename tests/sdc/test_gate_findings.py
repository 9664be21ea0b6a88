"""Issue 14's disclosure findings, each on the output channel where it was found.

Before the gate: a report on 30 or 100 clients showed "Comparison people" 9, 8 and 5;
`estimate --json` printed `n_treated` 1, 2 and 5 beside `"suppressed": true`; `cba --json`
printed the participants in `participants_in_estimate` and in `note`; and the hidden cells
of a distribution added up to a shown total minus shown cells (three municipalities, 9).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from disclosure_checks import cba_problems, estimate_problems, status_problems, table_problems

from polku import sdc
from polku.cli import main
from polku.pipeline.settings import AnalysisContext
from polku.reports import queries
from polku.reports.compute import ReportStore
from polku.reports.header import compute_header
from polku.reports.render import make_context
from polku.reports.sections.impact import compute_impact, impact_section
from polku.store import open_store

T = 10


def _cli(*args: str) -> list | dict:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def impact_tables(small_areas: dict[int, Path]) -> dict[int, dict]:
    tables = {}
    for n, path in small_areas.items():
        with open_store(path, read_only=True) as store:
            report_store = ReportStore(store.path, store.con)
            results = compute_impact(report_store, AnalysisContext()) | {
                "services_names": queries.service_names(report_store),
                "providers_list": queries.providers(report_store),
            }
            blocks = impact_section(results, make_context(compute_header(report_store), "en"))
        tables[n] = {b.id: b for b in blocks if getattr(b, "kind", "") == "table"}
    return tables


@pytest.mark.parametrize("clients", [30, 100])
def test_report_hides_small_comparison_counts_with_their_participants(impact_tables: dict[int, dict], clients: int) -> None:
    table = impact_tables[clients]["impact-services"]
    assert table_problems(table, T) == []
    participants, comparison = table.header.index("Participants"), table.header.index("Comparison people")
    for row in table.rows:
        if row[participants] == sdc.MARKER:  # drawn five to a participant: they would give the participants back
            assert row[comparison] == sdc.MARKER, row
    assert any(row[participants] == sdc.MARKER for row in table.rows)


@pytest.mark.parametrize("clients", [30, 100])
def test_estimate_json_hides_small_counts_and_their_notes(small_areas: dict[int, Path], clients: int) -> None:
    records = _cli("estimate", "--store", str(small_areas[clients]), "--json")
    assert estimate_problems(records, T) == []
    hidden = [r for r in records if r["n_treated"] is None]
    assert hidden and all(r["suppressed"] and r["n_control"] is None and r["estimate"] is None for r in hidden)
    assert all(sdc.MARKER in r["note"] for r in hidden if r["note"])


def test_estimate_exact_shows_the_counts_and_is_logged(small_areas: dict[int, Path]) -> None:
    store = str(small_areas[30])
    before = _cli("audit", "--store", store, "--json")
    records = _cli("estimate", "--store", store, "--json", "--exact")
    assert any(0 < r["n_treated"] < T for r in records), "the exact output is the analyst's, unprotected"
    rows = _cli("audit", "--store", store, "--json")
    assert len(rows) == len(before) + 1
    assert rows[-1]["action"] == "estimate" and rows[-1]["data"]["exact"] is True
    assert rows[-1]["data"]["exact_store"] == store


@pytest.mark.parametrize("clients", [30, 100])
def test_cba_json_hides_participants_everywhere(small_areas: dict[int, Path], clients: int) -> None:
    records = _cli("cba", "--store", str(small_areas[clients]), "--json")
    assert cba_problems(records, T) == []
    assert any(r["participants_in_estimate"] is None and sdc.MARKER in (r["note"] or "") for r in records)


def test_cba_text_shows_no_small_count(small_areas: dict[int, Path]) -> None:
    result = CliRunner().invoke(main, ["cba", "--store", str(small_areas[30])])
    assert result.exit_code == 0
    numbers = [int(n) for n in __import__("re").findall(r"(?<![\w.])\d+(?![\w.])", result.stdout)]
    assert not [n for n in numbers if 0 < n < T and n not in (2023, 2024, 2025)], result.stdout


def test_status_json_is_protected_unless_exact(small_areas: dict[int, Path]) -> None:
    summary = _cli("status", "--store", str(small_areas[30]), "--json")
    assert status_problems(summary, T) == []
    exact = _cli("status", "--store", str(small_areas[30]), "--json", "--exact")
    assert status_problems(exact, T) != [], "the 30-client area has small counts to hide"


def test_hidden_parts_of_a_line_never_add_up_to_a_small_count() -> None:
    """Three municipalities of 3, 2 and 4 clients beside 21 and a total of 30: hiding the
    three alone leaves 30 - 21 = 9 for them together; the gate hides the 21 too."""
    table = sdc.distribution({"Posio": 3, "Ranua": 2, "Salla": 4, "Rovaniemi": 21}, t=T)
    column = table.column()
    assert column == {"Posio": None, "Ranua": None, "Salla": None, "Rovaniemi": None}
    assert table.total == 30


def test_a_cross_table_row_keeps_no_small_hidden_sum() -> None:
    table = sdc.count_table([[3, 2, 25], [30, 40, 50]], ["a", "b"], ["x", "y", "z"], t=T)
    shown = [v for v in table.cells[0] if v is not None]
    assert table.row_totals[0] is None or not 0 < table.row_totals[0] - sum(shown) < T
    for j in range(3):
        column = [row[j] for row in table.cells]
        if table.col_totals[j] is not None and None in column:
            assert not 0 < table.col_totals[j] - sum(v for v in column if v is not None) < T
