"""Effects on reaching plan goals (polku.change.goal_effects): known answers from synthetic
areas whose true goal effect is set (`services.goal_effects`), the outcome's definition by
hand, and the figures through the gate, the report section and `polku change --json`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from change_helpers import fill
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from polku import sdc
from polku.change.goal_effects import GOAL_EFFECT_COLUMNS, goal_outcomes, plan_goals, service_goal_effects
from polku.change.measures import typed_frame
from polku.change.record import effects_record
from polku.cli import main
from polku.cohort.build import CohortSpec, build_cohort
from polku.identity import PseudonymKey
from polku.ingest import import_folder
from polku.reports.blocks import Table
from polku.reports.context import ReportContext
from polku.reports.sections import change_effects as section
from polku.runs import change as run_change
from polku.store import open_store
from polku.synth import generate
from polku.synth.codes import SERVICES
from polku.synth.params import overridden

KEY = PseudonymKey(bytes.fromhex("5e" * 32), 1)
CLIENTS = 3000


def _area(root: Path, seed: int, shift: float) -> tuple[pd.DataFrame, dict[int, pd.DataFrame], pd.DataFrame]:
    """Coaching's goal-effect table and analysis rows on an area where every service shifts
    the latent attainment by `shift`, and the area's goal truth."""
    with overridden({"services.goal_effects": dict.fromkeys(SERVICES, shift)}):
        generate(clients=CLIENTS, seed=seed, out_dir=root / "area", flaw_rate=0)
    with open_store(root / "polku.duckdb") as store:
        import_folder(store, root / "area", key=KEY)
        cohort = build_cohort(store, CohortSpec("COACH", seed=seed))
        table, frames = service_goal_effects(cohort, plan_goals(store), seed=seed)
    return table, frames, pd.read_csv(root / "area" / "ground_truth_goals.csv")


def _truth(frames: dict[int, pd.DataFrame], truth: pd.DataFrame, months: int, outcome: str) -> float:
    """The true effect on the estimate's participants: with minus without, same goals."""
    rows = frames[months]
    ids = rows.loc[rows["treated"].astype(bool) & rows["measured"], "episode_id"]
    mine = truth[(truth["months"] == months) & truth["episode_id"].isin(ids)]
    assert len(mine) == len(ids) and (mine["goals"] > 0).all()
    name = "reached" if outcome == "reached" else "t"
    return float((mine[f"{name}_with"] - mine[f"{name}_without"]).mean())


def _overall(table: pd.DataFrame) -> Iterator[pd.Series]:
    for _, row in table[table["client_group"] == "all"].iterrows():
        yield row


@pytest.mark.slow
def test_a_large_true_effect_is_found(tmp_path: Path) -> None:
    """Shift 1.0 latent unit (about +0.2 in the share reached at full exposure): for both
    outcomes and windows, the 95 % interval holds the truth of the analysed participants
    and excludes 0. Seed 5: truth 0.175 (6 months, reached), estimate 0.174 [0.118, 0.231]."""
    table, frames, truth = _area(tmp_path, seed=5, shift=1.0)
    for row in _overall(table):
        effect = _truth(frames, truth, int(row["months"]), str(row["outcome"]))
        assert row["ci_low"] <= effect <= row["ci_high"], (row["outcome"], row["months"], effect, row["estimate"])
        assert row["ci_low"] > 0, (row["outcome"], row["months"])
        assert row["measured_participants"] > 300 and row["note"] == ""


@pytest.mark.slow
def test_no_true_effect_gives_intervals_around_zero(tmp_path: Path) -> None:
    """Shift 0: the truth is exactly 0 for every participant, and every interval holds 0."""
    table, frames, truth = _area(tmp_path, seed=7, shift=0.0)
    for row in _overall(table):
        assert _truth(frames, truth, int(row["months"]), str(row["outcome"])) == 0.0
        assert row["ci_low"] <= 0.0 <= row["ci_high"], (row["outcome"], row["months"], row["estimate"])


def test_the_outcome_by_hand() -> None:
    """Reference 2025-01-01, window 6 months (183 days, to 2025-07-03). Participant P: goals
    due 2025-02-01 (level 0, reached), 2025-05-01 (level -1) and 2025-12-01 (outside):
    share 0.5, T over levels (0, -1) with weights (1, 4). Comparison C: goals due
    2025-03-01 (level 1) and 2025-04-01 (level 0), but C began a service on 2025-03-15, so
    only the first counts: share 1. Comparison D: no goal due: not measured. Row E's window
    is not over on the data's end (2025-07-03) and is left out."""
    day = pd.Timestamp
    cohort = pd.DataFrame(
        {
            "person_id": ["P", "C", "D", "E"],
            "ref_date": [day("2025-01-01")] * 3 + [day("2025-03-01")],
            "treated": [True, False, False, False],
            "first_service_after": [pd.NaT, day("2025-03-15"), pd.NaT, pd.NaT],
        }
    )
    goals = pd.DataFrame(
        {
            "person_id": ["P", "P", "P", "C", "C"],
            "due": [day(d) for d in ("2025-02-01", "2025-05-01", "2025-12-01", "2025-03-01", "2025-04-01")],
            "gas_level": [0.0, -1.0, 1.0, 1.0, 0.0],
            "gas_weight": [1.0, 4.0, 1.0, 1.0, 1.0],
        }
    )
    rows = goal_outcomes(cohort, goals, 6, dt.date(2025, 7, 3))
    assert rows["person_id"].tolist() == ["P", "C", "D"]
    assert rows["goals"].tolist() == [2, 1, 0] and rows["measured"].tolist() == [True, True, False]
    assert rows["reached"].iloc[:2].tolist() == [0.5, 1.0] and np.isnan(rows["reached"].iloc[2])
    t_p = 50 + 10 * (0 * 1 + -1 * 4) / np.sqrt(0.7 * (1 + 16) + 0.3 * 25)
    assert np.isclose(rows["gas_t"].iloc[0], t_p) and np.isclose(rows["gas_t"].iloc[1], 50 + 10 / np.sqrt(0.7 + 0.3))
    assert goal_outcomes(cohort, goals, 6, dt.date(2025, 7, 2)).empty  # no window over yet


def _goal_row(measured: int, measured_c: int, outcome: str = "reached") -> dict[str, object]:
    return {
        "service_code": "COACH",
        "grouping": "all",
        "client_group": "all",
        "outcome": outcome,
        "months": 6,
        "participants": 200,
        "comparison": 800,
        "measured_participants": measured,
        "measured_comparison": measured_c,
        "goals_participants": 2 * measured,
        "goals_comparison": 2 * measured_c,
        "mean_participants": 0.62,
        "mean_comparison": 0.48,
        "estimate": 0.125,
        "std_error": 0.03,
        "ci_low": 0.066,
        "ci_high": 0.184,
        "share_missing": 1 - measured / 200,
        "note": "",
    }


def _tables(goals: list[dict[str, object]]) -> dict[str, pd.DataFrame]:
    from test_effects_release import _tables as change_tables

    return change_tables([], [], goals)


def test_gate_section_and_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """T = 10. Row 1: 150 of 200 participants and 300 comparison people with a goal due:
    shown, in percentage points in the report (12.5, 6.6 … 18.4). Row 2: 195 of 200: the 5
    without are a small count, so the 195 hide, but the estimate rests on 195 and 300
    people and is shown. Row 3: 8 comparison people with a goal due: every figure hides."""
    rows = [_goal_row(150, 300), _goal_row(195, 300, "gas_t"), _goal_row(150, 8, "gas_t")]
    record = effects_record(_tables(rows))
    shown = sdc.release_change_effects(record, t=10)
    one, two, three = shown["goal_effects"]
    assert (one["measured_participants"], one["estimate"], one["goals_participants"]) == (150, 0.125, 300)
    assert two["measured_participants"] is None and two["estimate"] == 0.125 and two["participants"] == 200
    assert two["share_missing"] is None and two["goals_participants"] is None  # they would give the 195 back
    assert three["measured_comparison"] is None and three["estimate"] is None and three["mean_comparison"] is None
    assert json.loads(json.dumps(shown)) == shown
    names = pd.DataFrame({"service_code": ["COACH"], "name_fi": ["V"], "name_sv": ["C"], "name_en": ["Coaching"]})
    tables = _tables(rows) | {"services_names": names}
    blocks = section.change_effects_section(tables, ReportContext("en", 10, datetime(2026, 1, 1)))
    goals = next(b for b in blocks if isinstance(b, Table) and b.id == "change-goal-effects-6")
    assert goals.rows[0] == ("Coaching: goals reached (percentage points)", "200", "150", "62.0", "48.0", "12.5", "6.6 … 18.4")
    assert goals.rows[1][:3] == ("Coaching: GAS T-score", "200", sdc.MARKER)
    assert goals.rows[1][5] == "0.1"  # T points, not percentage points
    assert goals.rows[2][5:] == (sdc.MARKER, sdc.MARKER)
    path = tmp_path / "polku.duckdb"
    with open_store(path) as store:
        fill(store)
    monkeypatch.setattr(run_change, "run_effects", lambda store_path: {"run_id": "r1"} | record)
    data = json.loads(CliRunner().invoke(main, ["change", "--json", "--store", str(path)]).stdout)
    assert data["goal_effects"][0]["estimate"] == 0.125 and data["goal_effects"][2]["estimate"] is None
    text = CliRunner().invoke(main, ["change", "--store", str(path)]).stdout
    assert "Effects of services on reaching plan goals" in text and "effect 0.125 [0.066, 0.184]" in text


def test_the_table_keeps_its_types_through_parquet(tmp_path: Path) -> None:
    frame = typed_frame(pd.DataFrame([_goal_row(150, 300)], columns=list(GOAL_EFFECT_COLUMNS)), GOAL_EFFECT_COLUMNS)
    frame.to_parquet(tmp_path / "g.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "g.parquet"), frame)


@settings(max_examples=200, deadline=None)
@given(
    participants=st.integers(0, 60),
    measured=st.integers(0, 60),
    comparison=st.integers(0, 200),
    measured_c=st.integers(0, 200),
    t=st.integers(3, 20),
)
def test_no_goal_row_gives_a_small_count_back(participants: int, measured: int, comparison: int, measured_c: int, t: int) -> None:
    """Whatever the counts, a released goal row shows no count of people from 1 to T-1, no
    shown total minus its shown part from 1 to T-1, and no share without a goal beside a
    hidden count (participants x share would give it back)."""
    measured, measured_c = min(measured, participants), min(measured_c, comparison)
    row = _goal_row(max(measured, 1), max(measured_c, 1)) | {
        "participants": participants,
        "comparison": comparison,
        "measured_participants": measured,
        "measured_comparison": measured_c,
        "goals_participants": 2 * measured,
        "goals_comparison": 2 * measured_c,
    }
    shown = sdc.release_change_effects({"effects": [], "work": [], "goal_effects": [row]}, t=t)["goal_effects"][0]
    for key in ("participants", "comparison", "measured_participants", "measured_comparison", "goals_participants"):
        assert shown[key] is None or not 0 < shown[key] < t, key
    for total, part in (("participants", "measured_participants"), ("comparison", "measured_comparison")):
        if shown[total] is not None and shown[part] is not None:
            assert not 0 < shown[total] - shown[part] < t
    if shown["measured_participants"] is None:
        assert shown["share_missing"] is None and shown["goals_participants"] is None
