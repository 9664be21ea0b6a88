"""The change figures through the disclosure gate, in the report section and in `polku change`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from change_helpers import fill
from click.testing import CliRunner

from polku import sdc
from polku.change.measures import summaries
from polku.change.record import change_record, interval
from polku.cli import main
from polku.pipeline.settings import AnalysisContext
from polku.reports.blocks import Figures, Table
from polku.reports.context import ReportContext
from polku.reports.sections import change as section
from polku.store import open_store


def _item(clients: int, improved: int, unchanged: int, worsened: int) -> dict[str, object]:
    return {
        "instrument": "client_change_meter",
        "item": f"i{clients}",
        "clients": clients,
        "improved": improved,
        "unchanged": unchanged,
        "worsened": worsened,
        "mean_change": 0.5,
        "ci_low": 0.4,
        "ci_high": 0.6,
        "mean_distance": 0.1,
        "sd": 0.7,
        "sd_source": "first_measurements",
        "reliability": 0.8,
    }


def _record(items: list[dict[str, object]], gas_clients: int = 40) -> dict[str, object]:
    gas = {
        "clients": gas_clients,
        "below": gas_clients - 25,
        "at": 20,
        "above": 5,
        "mean_t": 48.0,
        "ci_low": 47.0,
        "ci_high": 49.0,
    }
    levels = [{"domain": "skills", "level": "0", "count": 30}, {"domain": "skills", "level": "-1", "count": 4}]
    return {"items": items, "services": [], "gas": gas, "gas_levels": levels}


def test_interval_by_hand() -> None:
    """Mean 1, SD 2, n 16: 1 +- 1.96 * 2 / 4 = 1 +- 0.98; fewer than two values: none."""
    assert interval(1.0, 2.0, 16) == pytest.approx((0.02, 1.98))
    assert interval(1.0, None, 16) == (None, None)
    assert interval(1.0, 2.0, 1) == (None, None)


def test_small_counts_hidden_and_means_withheld() -> None:
    """T = 10: the item of 9 clients is hidden whole (row total below T) with its means and
    its store SD; in the item of 40 the 3 worsened are hidden with a partner (its line is 40 = 20 + 17 + 3); the GAS level
    count 4 is hidden and so is its partner in the line; GAS under T withholds the mean."""
    shown = sdc.release_change(_record([_item(9, 5, 4, 0), _item(40, 20, 17, 3)], gas_clients=40), t=10)
    small, large = shown["items"]
    assert (small["clients"], small["improved"], small["mean_change"], small["ci_low"], small["sd"]) == (None,) * 5
    assert large["clients"] == 40 and large["worsened"] is None and large["mean_change"] == 0.5 and large["sd"] == 0.7
    assert sum(v is None for v in (large["improved"], large["unchanged"])) == 1
    assert shown["gas"]["mean_t"] == 48.0 and shown["gas"]["above"] is None
    assert [lv["count"] for lv in shown["gas_levels"]] == [None, None]
    few = sdc.release_change(_record([], gas_clients=30) | {"gas": {**_record([])["gas"], "clients": 9}}, t=10)
    assert few["gas"]["mean_t"] is None and few["threshold"] == 10


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "polku.duckdb"
    with open_store(path) as store:
        fill(store)
    return path


def test_section_renders_from_tables_only(store_path: Path) -> None:
    """The tables survive Parquet unchanged and the section renders from them; the three
    clients of the hand-built store are all below T = 10, so every count shows as '..'."""
    with open_store(store_path, read_only=True) as store:
        tables = section.compute(store, AnalysisContext())
    assert set(tables) == set(section.TABLES)
    for name, frame in tables.items():
        assert all(frame[c].dtype != object or frame[c].map(lambda v: v is None or isinstance(v, str)).all() for c in frame)
        path = store_path.parent / f"{name}.parquet"
        frame.to_parquet(path)
        pd.testing.assert_frame_equal(pd.read_parquet(path), frame)
    names = pd.DataFrame({"service_code": ["COACH"], "name_fi": ["Valmennus"], "name_sv": ["C"], "name_en": ["Coaching"]})
    ctx = ReportContext("en", 10, datetime(2026, 1, 1))
    blocks = section.change_section(tables | {"services_names": names}, ctx)
    items = next(b for b in blocks if isinstance(b, Table) and b.id == "change-items")
    assert [r[0] for r in items.rows] == [
        "client change meter: skills",
        "work-ability self-assessment (Kykyviisari): work-ability score",
    ]
    assert [r[1:] for r in items.rows] == [(sdc.MARKER,) * 6, (sdc.MARKER, sdc.MARKER, "0", *(sdc.MARKER,) * 3)]
    assert any(isinstance(b, Figures) for b in blocks)
    coach = next(b for b in blocks if isinstance(b, Table) and b.id == "change-services-start_end")
    assert coach.rows[0][0].startswith("Coaching: ")


def test_section_with_t_3_shows_the_hand_counts(store_path: Path) -> None:
    """With T = 3 (the lowest allowed) the skills cells (1, 1, 1) are below T and hide, but
    the row total 3 and the mean change 0 (n = 3 >= T) show, with 0 +- 1.96 * 2 / sqrt(3)."""
    with open_store(store_path, read_only=True) as store:
        tables = section.compute(store, AnalysisContext())
    raw = change_record(tables)
    shown = sdc.release_change(raw, t=3)
    skills = next(r for r in shown["items"] if r["item"] == "skills")
    assert (skills["clients"], skills["improved"], skills["mean_change"]) == (3, None, 0.0)
    assert skills["ci_low"] == pytest.approx(-1.96 * 2 / 3**0.5)


def test_cli_json_gated_and_exact(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLKU_STORE", str(store_path))
    gated = CliRunner().invoke(main, ["change", "--json"])
    assert gated.exit_code == 0, gated.output
    data = json.loads(gated.stdout)
    assert data["threshold"] == 10 and all(r["clients"] is None for r in data["items"])
    exact = CliRunner().invoke(main, ["change", "--json", "--exact", "--store", str(store_path)])
    assert exact.exit_code == 0, exact.output
    items = {r["item"]: r for r in json.loads(exact.stdout)["items"]}
    assert (items["skills"]["improved"], items["skills"]["unchanged"], items["skills"]["worsened"]) == (1, 1, 1)
    assert json.loads(exact.stdout)["gas"]["clients"] == 2
    text = CliRunner().invoke(main, ["change", "--store", str(store_path)])
    assert text.exit_code == 0 and "client_change_meter: skills" in text.stdout and sdc.MARKER in text.stdout


def test_cli_refuses_a_missing_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["change", "--store", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2 and "no store" in result.output


def test_summaries_round_trip_via_record(store_path: Path) -> None:
    with open_store(store_path, read_only=True) as store:
        record = change_record(summaries(store))
    assert json.loads(json.dumps(record)) == record


def test_cli_with_an_area_instrument_file(store_path: Path, tmp_path: Path) -> None:
    """The area's own change-meter file (reliability 0.5, reference SD 1.0) replaces the
    shipped one: S_diff = sqrt(2) * 1.0 * sqrt(0.5) = 1.0, so A's +2 and C's -2 give RCI
    +2 and -2 (improved, worsened) and B's 0 unchanged; a bad file stops with exit 1."""
    shipped = Path(__file__).parents[2] / "src" / "polku" / "change" / "instruments" / "client_change_meter.yaml"
    text = shipped.read_text(encoding="utf-8").replace("value: 0.80", "value: 0.5").replace("value: null", "value: 1.0")
    (tmp_path / "meter.yaml").write_text(text, encoding="utf-8")
    args = ["change", "--json", "--exact", "--store", str(store_path), "--instruments", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    skills = next(r for r in json.loads(result.stdout)["items"] if r["item"] == "skills")
    assert (skills["sd"], skills["sd_source"], skills["reliability"]) == (1.0, "reference", 0.5)
    assert (skills["improved"], skills["unchanged"], skills["worsened"]) == (1, 1, 1)
    (tmp_path / "meter.yaml").write_text(text.replace("value: 0.5", "value: 1.5"), encoding="utf-8")
    bad = CliRunner().invoke(main, args)
    assert bad.exit_code == 1 and "reliability must be at least 0 and below 1, not 1.5" in bad.output
