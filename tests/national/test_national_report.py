"""`polku report --register` and `polku runs --register`: a national register's run is
rendered by the sections that read it (the national comparison, with the effects per area
and service), through the same gate and writers as an area's report."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from polku.cli import main
from polku.runs import list_runs


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two synthetic areas of a 2,000-client register, with one national run (impact included)."""
    folder = tmp_path_factory.mktemp("national") / "register"
    args = ["generate", "--areas", "2", "--clients", "2000", "--format", "parquet", "--out", str(folder)]
    made = CliRunner().invoke(main, args)
    assert made.exit_code == 0, made.output
    ran = CliRunner().invoke(main, ["national", "--register", str(folder), "--impact", "--json"])
    assert ran.exit_code == 0, ran.output
    return folder


def test_the_report_of_a_register_run_holds_the_national_comparison_only(register: Path, tmp_path: Path) -> None:
    out = tmp_path / "national.html"
    result = CliRunner().invoke(main, ["report", "--register", str(register), "--out", str(out)])
    assert result.exit_code == 0, result.output
    (run,) = list_runs(register)
    assert run.kind == "register" and f"report of run {run.run_id}" in result.output
    html = out.read_text(encoding="utf-8")
    for table in ("national-indicators", "national-expected", "national-impact"):
        assert f'id="{table}"' in html
    assert 'id="impact"' not in html and 'id="summary"' not in html  # an area's sections need an area's run
    assert "Employment area A01, A02" in " ".join(html.split()) or "A01, A02" in html
    digest = run.provenance["snapshot"]["manifest_sha256"][:12]
    assert f"register ({digest})" in html  # the header names the register it read


def test_the_workbook_of_a_register_run_has_its_tables(register: Path, tmp_path: Path) -> None:
    out = tmp_path / "national.xlsx"
    result = CliRunner().invoke(main, ["report", "--register", str(register), "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(io.BytesIO(out.read_bytes()), read_only=True)
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "A01" in cells and "A02" in cells
    (run,) = list_runs(register)
    impact = run.tables["national_impact"]
    shown = impact[impact["estimate"].notna() & (impact["participants"] >= 10)]
    assert len(shown) >= 1, "at least one area's service has an estimate to find"
    for value in shown["estimate"]:
        assert any(c.replace("+", "").startswith(f"{100 * value:.1f}") for c in cells), value


def test_runs_lists_a_register_runs_and_two_places_are_refused(register: Path, tmp_path: Path) -> None:
    listed = CliRunner().invoke(main, ["runs", "--register", str(register), "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["run_id"] for r in json.loads(listed.stdout)] == [run.run_id for run in list_runs(register)]
    store = str(tmp_path / "s.duckdb")
    both = CliRunner().invoke(main, ["report", "--register", str(register), "--store", store, "--out", "x.html"])
    assert both.exit_code == 2 and "--store and --register name two places" in both.output
    not_register = CliRunner().invoke(main, ["report", "--register", str(tmp_path), "--out", str(tmp_path / "x.html")])
    assert not_register.exit_code == 2 and "no national register at" in not_register.output
