"""`polku generate --areas N --format parquet` and `polku national --json` on DuckDB: the
register's indicators per area, stored as a run beside the register."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from polku.cli import main
from polku.runs import list_runs


def test_generate_then_national_json(tmp_path: Path) -> None:
    """Indicators, observed against expected and the impact per (area, service)."""
    register = tmp_path / "register"
    made = CliRunner().invoke(
        main, ["generate", "--areas", "2", "--clients", "500", "--format", "parquet", "--out", str(register)]
    )
    assert made.exit_code == 0, made.output
    result = CliRunner().invoke(main, ["national", "--register", str(register), "--impact", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [row["area"] for row in payload["national_indicators"]] == ["A01", "A02"]
    assert [row["area"] for row in payload["national_expected"]] == ["A01", "A02"]
    assert sum(row["n"] for row in payload["national_expected"]) == sum(r["inflow"] for r in payload["national_indicators"])
    assert payload["engine"] == "duckdb"
    impact = payload["national_impact"]
    assert {row["area"] for row in impact} == {"A01", "A02"} and len(impact) >= 6
    assert all(row["true_att"] is not None for row in impact)  # the synthetic register's truth, per area
    assert all(row["estimate"] is not None or row["note"] for row in impact)  # an estimate, or why not
    assert [run.run_id for run in list_runs(register)] == [payload["run_id"]]


def test_csv_with_several_areas_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["generate", "--areas", "2", "--clients", "500", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "needs --format parquet" in result.output
