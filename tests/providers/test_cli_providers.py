"""`polku providers` reads the providers' table of an analysis run, under the disclosure gate.

The run is made by `polku analyse` with one test section registered, whose compute returns
a hand-made `providers_comparison` (a service with three providers, one of 6 clients):
the JSON has one object per provider and service with the issue's fields, the small
provider withheld with its partner (the service's providers add up to its total), and
--exact shows every figure (logged). A run without the table is refused in one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from polku.cli import main
from polku.identity import create_key_file, load_key
from polku.ingest import import_file
from polku.pipeline.settings import AnalysisContext
from polku.providers import compare
from polku.reports import registry
from polku.runs.record import analyse
from polku.store import Store, open_store
from polku.typed import typed_frame

HEADER = "hetu,birth_year,birth_month,sex,mother_tongue_group,municipality_code,education_level,isced_level,"
HEADER += "partial_work_ability\n"


def comparison() -> pd.DataFrame:
    data = pd.DataFrame(
        {
            "service_code": "COACH",
            "provider_id": ["A", "B", "C"],
            "participants": [120, 6, 80],
            "observed": [60.0, 3.0, 30.0],
            "expected": [50.0, 2.5, 40.0],
        }
    )
    return typed_frame(compare.rate_providers(data, dispersion="none"), compare.COMPARISON)


def compute(store: Store, analysis: AnalysisContext) -> dict[str, pd.DataFrame]:
    return {"providers_comparison": comparison()}


@pytest.fixture()
def store_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("POLKU_PSEUDONYM_KEY", raising=False)
    key = tmp_path / "secrets" / "pseudonym.key"
    create_key_file(key)
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY_FILE", str(key))
    path = tmp_path / "store" / "polku.duckdb"
    person = tmp_path / "person.csv"
    person.write_text(HEADER + "010594Y9000,1994,5,female,fi,698,basic,2,false\n", encoding="utf-8")
    with open_store(path) as store:
        import_file(store, "person", person, key=load_key(key_file=key))
    assert registry.sections()
    monkeypatch.setattr(registry, "_REGISTRY", {})
    registry.register("providers_test", "report.title", 999, compute=compute)(lambda results, ctx: [])
    yield path


def test_json_has_one_gated_object_per_provider_and_service(store_path: Path) -> None:
    analyse(store_path)
    result = CliRunner().invoke(main, ["providers", "--store", str(store_path), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["service_code"], r["provider_id"]) for r in rows] == [("COACH", "A"), ("COACH", "B"), ("COACH", "C")]
    first = rows[0]
    assert {"service_code", "provider_id", "observed", "expected", "ratio", "lower", "upper", "rating"} <= set(first)
    shown = [r for r in rows if not r["withheld"]]
    assert [r["provider_id"] for r in shown] == ["A"] or [r["provider_id"] for r in shown] == ["C"]
    for r in rows:
        if r["withheld"]:
            assert r["observed"] is None and r["rating"] is None and r["ratio"] is None
        else:
            assert r["ratio"] == pytest.approx(r["observed"] / r["expected"])
            assert r["lower"] < r["ratio"] < r["upper"] or r["rating"] != "moderate"
            assert r["rating"] in ("high", "moderate", "low")


def test_exact_shows_every_figure(store_path: Path) -> None:
    analyse(store_path)
    result = CliRunner().invoke(main, ["providers", "--store", str(store_path), "--json", "--exact"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output[result.output.index("[") :])
    assert [r["observed"] for r in rows] == [60.0, 3.0, 30.0]
    assert rows[0]["ratio"] == pytest.approx(1.2)


def test_text_lists_providers_in_id_order(store_path: Path) -> None:
    analyse(store_path)
    result = CliRunner().invoke(main, ["providers", "--store", str(store_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].split()[:2] == ["service", "provider"]
    assert [line.split()[1] for line in lines[1:]] == ["A", "B", "C"]
