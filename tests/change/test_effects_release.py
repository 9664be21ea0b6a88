"""The effects on change and the hazard ratios through the disclosure gate, in the report
section `change_effects` (from the run's tables only) and in `polku change --json`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from change_helpers import fill
from click.testing import CliRunner

from polku import sdc
from polku.change.effects import EFFECT_COLUMNS
from polku.change.goal_effects import GOAL_EFFECT_COLUMNS
from polku.change.measures import typed_frame
from polku.change.record import effects_record
from polku.change.work import WORK_COLUMNS
from polku.cli import main
from polku.reports.blocks import Table
from polku.reports.context import ReportContext
from polku.reports.sections import change_effects as section
from polku.runs import change as run_change
from polku.runs.change import run_effects
from polku.store import open_store


def _effect(participants: int, measured: int, comparison: int, measured_c: int, estimate: float = 0.4) -> dict[str, object]:
    row: dict[str, object] = {name: 0.0 for name, kind in EFFECT_COLUMNS.items() if kind == "float64"}
    return row | {
        "service_code": "COACH",
        "grouping": "all",
        "client_group": "all",
        "instrument": "client_change_meter",
        "item": "skills",
        "months": 6,
        "participants": participants,
        "comparison": comparison,
        "measured_participants": measured,
        "measured_comparison": measured_c,
        "estimate": estimate,
        "ci_low": estimate - 0.2,
        "ci_high": estimate + 0.2,
        "estimate_unweighted": estimate + 0.1,
        "share_missing": 1 - measured / participants,
        "tipping_delta": -estimate / (1 - measured / participants),
        "effective_comparison": 120.0,
        "interval": "influence",
        "note": "",
    }


def _work(people: int, events: int) -> dict[str, object]:
    return {
        "instrument": "client_change_meter",
        "item": "job_search",
        "people": people,
        "events": events,
        "hazard_ratio": 1.3,
        "ci_low": 1.1,
        "ci_high": 1.5,
        "p_value": 0.01,
        "note": "",
    }


def _tables(
    effects: list[dict[str, object]], work: list[dict[str, object]], goals: list[dict[str, object]] | None = None
) -> dict[str, pd.DataFrame]:
    return {
        "change_effects": typed_frame(pd.DataFrame(effects, columns=list(EFFECT_COLUMNS)), EFFECT_COLUMNS),
        "change_work": typed_frame(pd.DataFrame(work, columns=list(WORK_COLUMNS)), WORK_COLUMNS),
        "change_goal_effects": typed_frame(pd.DataFrame(goals or [], columns=list(GOAL_EFFECT_COLUMNS)), GOAL_EFFECT_COLUMNS),
    }


def test_gate_by_hand() -> None:
    """T = 10. Row 1: 200 participants, 150 measured (50 not), 800 comparison, 300 measured:
    all shown. Row 2: 200 participants, 195 measured: the 5 unmeasured are a small count, so
    the measured count hides (and with it the effect, which rests on them). Row 3: 12
    comparison people measured of 30: shown, effect shown. Hazard ratios: 100 people, 95
    found work (5 did not): hidden; 100 people, 40 found work: shown."""
    effects = [_effect(200, 150, 800, 300), _effect(200, 195, 800, 300), _effect(100, 50, 30, 12)]
    record = effects_record(_tables(effects, [_work(100, 95), _work(100, 40)]))
    shown = sdc.release_change_effects(record, t=10)
    one, two, three = shown["effects"]
    assert (one["participants"], one["measured_participants"], one["estimate"]) == (200, 150, 0.4)
    assert two["measured_participants"] is None and two["estimate"] is None and two["ci_low"] is None
    assert two["effective_comparison"] is None and one["effective_comparison"] == 120.0  # withheld with the estimate
    assert two["participants"] == 200
    assert (three["measured_comparison"], three["estimate"]) == (12, 0.4)
    hidden, open_ = shown["work"]
    assert hidden["events"] is None and hidden["hazard_ratio"] is None
    assert (open_["people"], open_["events"], open_["hazard_ratio"]) == (100, 40, 1.3)
    assert json.loads(json.dumps(shown)) == shown


def test_section_renders_from_the_run_tables(tmp_path: Path) -> None:
    """The frames survive Parquet unchanged; the section shows the 6-month table with the
    service's name, the gated row as '..', and the hazard ratio table."""
    tables = _tables([_effect(200, 150, 800, 300), _effect(200, 195, 800, 300)], [_work(100, 40)])
    for name, frame in tables.items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{name}.parquet"), frame)
    names = pd.DataFrame({"service_code": ["COACH"], "name_fi": ["Valmennus"], "name_sv": ["C"], "name_en": ["Coaching"]})
    blocks = section.change_effects_section(tables | {"services_names": names}, ReportContext("en", 10, datetime(2026, 1, 1)))
    effects = next(b for b in blocks if isinstance(b, Table) and b.id == "change-effects-6")
    assert effects.rows[0][0] == "Coaching: client change meter: skills"
    assert effects.rows[0][1:5] == ("200", "150", "0.40", "0.20 … 0.60")
    assert effects.rows[1][2:5] == (sdc.MARKER, sdc.MARKER, sdc.MARKER)
    work = next(b for b in blocks if isinstance(b, Table) and b.id == "change-work")
    assert work.rows[0][1:] == ("100", "40", "1.30", "1.10 … 1.50")
    empty = section.change_effects_section(_tables([], []), ReportContext("en", 10, datetime(2026, 1, 1)))
    assert len(empty) == 1


def test_run_effects_reads_the_latest_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Views read runs: the newest run's tables, or an empty record without a run or tables."""
    monkeypatch.setattr(run_change, "list_runs", lambda path: [])
    assert run_effects(tmp_path / "s.duckdb") == {"run_id": None, "effects": [], "work": [], "goal_effects": []}
    run = SimpleNamespace(run_id="r1", tables=_tables([_effect(200, 150, 800, 300)], [_work(100, 40)]))
    monkeypatch.setattr(run_change, "list_runs", lambda path: [run])
    record = run_effects(tmp_path / "s.duckdb")
    assert record["run_id"] == "r1" and record["effects"][0]["estimate"] == 0.4 and record["work"][0]["events"] == 40
    assert not any(isinstance(v, np.generic) for row in record["effects"] for v in row.values())


def test_cli_json_includes_the_gated_effects(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "polku.duckdb"
    with open_store(path) as store:
        fill(store)
    record = {"run_id": "r1"} | effects_record(_tables([_effect(200, 195, 800, 300)], [_work(100, 40)]))
    monkeypatch.setattr(run_change, "run_effects", lambda store_path: record)
    gated = CliRunner().invoke(main, ["change", "--json", "--store", str(path)])
    assert gated.exit_code == 0, gated.output
    data = json.loads(gated.stdout)
    assert data["run_id"] == "r1" and data["effects"][0]["estimate"] is None and data["work"][0]["hazard_ratio"] == 1.3
    exact = CliRunner().invoke(main, ["change", "--json", "--exact", "--store", str(path)])
    assert json.loads(exact.stdout)["effects"][0]["measured_participants"] == 195
    text = CliRunner().invoke(main, ["change", "--store", str(path)])
    assert text.exit_code == 0 and "Effects of services on change" in text.stdout and "HR 1.30" in text.stdout


def test_a_cell_on_a_comparison_worth_fewer_than_ten_says_why(tmp_path: Path) -> None:
    """A rule-group cell whose weighted comparison was worth 4 people, in a run without the
    bootstrap: no estimate, no interval, and the group table says why (in the report's
    language, not the stored English note)."""
    small = _effect(200, 150, 800, 300) | {
        "grouping": "rule",
        "client_group": "g1",
        "estimate": float("nan"),
        "ci_low": float("nan"),
        "ci_high": float("nan"),
        "effective_comparison": 4.0,
        "interval": "withheld_small_comparison",
        "note": "the weighted comparison group is worth fewer than 10 people",
    }
    tables = _tables([_effect(200, 150, 800, 300), small], [_work(100, 40)])
    names = pd.DataFrame({"service_code": ["COACH"], "name_fi": ["Valmennus"], "name_sv": ["C"], "name_en": ["Coaching"]})
    for lang, words in (("en", "fewer than 10 people like these"), ("fi", "alle kymmentä")):
        blocks = section.change_effects_section(tables | {"services_names": names}, ReportContext(lang, 10, datetime(2026, 1, 1)))
        groups = next(b for b in blocks if isinstance(b, Table) and b.id == "change-effects-groups-6")
        (row,) = [r for r in groups.rows if r[1].endswith("g1")]
        assert row[4:6] == (sdc.MARKER, sdc.MARKER)
        assert words in row[-1] and "--change-bootstrap" in row[-1]
