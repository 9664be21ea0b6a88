"""`polku payments` and `polku equality` on a run: JSON through the gate, a clear line for a
bad model file (exit 1), and --exact logged. The run is stood in for by its tables."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_calculate import cba, effects, outcome_row, tables

from polku.cli import main
from polku.equality.compute import SCHEMAS, typed
from polku.payments.model import SHIPPED


@dataclass
class FakeRun:
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    run_id: str = "2026-01-01T000000Z-test"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "polku.duckdb"
    path.write_bytes(b"")
    t = tables([outcome_row("P", 200, 60), outcome_row("S", 6, 2)], [], effects([("service", None, 0.1)]), cba(8000.0))
    t |= {name: typed([], name) for name in SCHEMAS}
    monkeypatch.setattr("polku.runs.read.open_run", lambda store, ref="latest": FakeRun(t))
    monkeypatch.setenv("POLKU_DATA_DIR", str(tmp_path))
    return path


def test_payments_json_is_gated(store: Path) -> None:
    result = CliRunner().invoke(
        main, ["payments", "--model", str(SHIPPED / "koto_sib_share.yaml"), "--json", "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    rows = {r["provider_id"]: r for r in payload["rows"]}
    assert payload["model"]["kind"] == "outcome_share" and payload["run_id"] == "2026-01-01T000000Z-test"
    assert rows["P"]["payment"] == pytest.approx(0.5 * 0.1 * 200 * 8000 * 3)
    assert rows["S"]["participants"] is None and rows["S"]["payment"] is None


def test_payments_text_and_a_bad_model(store: Path, tmp_path: Path) -> None:
    text = CliRunner().invoke(
        main, ["payments", "--model", str(SHIPPED / "work_programme_rate_card.yaml"), "--store", str(store)]
    )
    assert text.exit_code == 0 and "value added" in text.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nkind: outcome_share\nshare: {value: 2, source: s}\nhorizon_years: {value: 3, source: s}\n")
    result = CliRunner().invoke(main, ["payments", "--model", str(bad), "--store", str(store)])
    assert result.exit_code == 1
    assert "share.value" in result.output and "bad.yaml" in result.output and "Traceback" not in result.output


def test_equality_json(store: Path) -> None:
    result = CliRunner().invoke(main, ["equality", "--json", "--store", str(store)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["adjustment"] == "holm" and payload["rows"] == []
