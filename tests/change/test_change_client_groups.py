"""Effects by client group (polku.change.client_groups): each cohort row's rule group by
hand, and a known answer from a synthetic area where one group gets no effect."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from polku.change.client_groups import client_groups, with_client_groups
from polku.change.goal_effects import plan_goals, service_goal_effects
from polku.cohort.build import CohortSpec, build_cohort
from polku.groups.config import load_groups
from polku.identity import PseudonymKey
from polku.ingest import import_folder
from polku.reports.blocks import Table
from polku.reports.context import ReportContext
from polku.reports.sections import change_effects as section
from polku.store import open_store
from polku.synth import generate
from polku.synth.codes import SERVICES
from polku.synth.params import overridden

KEY = PseudonymKey(bytes.fromhex("5e" * 32), 1)


def test_rule_groups_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped file's order: partial work ability first, then long-term (12 months in the
    spell), youth (under 30), older (55+), earnings-related allowance (benefit the spell
    began on), other. The bands are left to the model (here a stand-in)."""
    import polku.change.client_groups as module

    monkeypatch.setattr(module, "_bands", lambda cohort, seed: np.array(["high"] * len(cohort), dtype=object))
    cohort = pd.DataFrame(
        {
            "age": [40.0, 40.0, 25.0, 60.0, 40.0, 40.0],
            "education_level": ["basic"] * 6,
            "months_unemployed_prev36": [0.0] * 6,
            "spell_months": [2.0, 14.0, 2.0, 2.0, 2.0, 2.0],
            "benefit_at_spell_start": ["none"] * 4 + ["earnings_related_allowance", "labour_market_subsidy"],
            "activity_before": ["other"] * 6,
            "partial_work_ability": [True, False, False, False, False, False],
        }
    )
    groups = with_client_groups(cohort, load_groups())
    order = ["partial_work_ability", "long_term", "youth", "older", "recent_work", "other"]
    assert groups["rule_group"].astype(str).tolist() == order
    named = [(grouping, group) for grouping, group, _ in client_groups(groups)]
    assert named[:3] == [("all", "all"), ("work_ability", "partial_work_ability"), ("work_ability", "full_work_ability")]
    assert named[3:9] == [("rule", g) for g in order]
    assert named[9:] == [("seed_model", "high")]


@pytest.mark.slow
def test_a_group_without_an_effect_is_told_apart(tmp_path: Path) -> None:
    """Every service shifts goal attainment by 1.0, except for clients with partial work
    ability, who get none (`goals.effect_partial_work_ability_cut` 1.0). Rehabilitative
    work activity, 6 months, share of goals reached: within the rule groups 'partial work
    ability' and 'long-term unemployed' each interval holds its group's truth (0.088, not 0:
    the group also takes those on a disability pension or sickness allowance before, who
    may not have partial work ability, and 0.252), the long-term group's excludes 0, and the
    two estimates differ by more than 1.96 standard errors of their difference. Seed 5,
    6,000 clients: -0.024 [-0.203, 0.155] against 0.225 [0.171, 0.279]."""
    shifts = {"services.goal_effects": dict.fromkeys(SERVICES, 1.0), "goals.effect_partial_work_ability_cut": 1.0}
    with overridden(shifts):
        generate(clients=6000, seed=5, out_dir=tmp_path / "area", flaw_rate=0)
    with open_store(tmp_path / "polku.duckdb") as store:
        import_folder(store, tmp_path / "area", key=KEY)
        table, frames = service_goal_effects(build_cohort(store, CohortSpec("REHAB", seed=5)), plan_goals(store), seed=5)
    truth = pd.read_csv(tmp_path / "area" / "ground_truth_goals.csv")
    rows = frames[6]
    found = {}
    for group in ("partial_work_ability", "long_term"):
        row = table[(table["grouping"] == "rule") & (table["client_group"] == group) & (table["outcome"] == "reached")]
        row = row[row["months"] == 6].iloc[0]
        mine = rows[rows["treated"].astype(bool) & rows["measured"] & (rows["rule_group"] == group)]
        assert len(mine) == row["measured_participants"]
        part = truth[(truth["months"] == 6) & truth["episode_id"].isin(mine["episode_id"])]
        effect = float((part["reached_with"] - part["reached_without"]).mean())
        assert row["ci_low"] <= effect <= row["ci_high"], (group, row["estimate"], effect)
        found[group] = row
    assert found["long_term"]["ci_low"] > 0
    gap = found["long_term"]["estimate"] - found["partial_work_ability"]["estimate"]
    assert gap > 1.96 * np.hypot(found["long_term"]["std_error"], found["partial_work_ability"]["std_error"])


def test_the_by_group_table_says_why_a_cell_is_empty() -> None:
    """Rows of the rule groups and bands, by name from the run's definitions; a cell below
    the size rule says so, a gated one says disclosure control."""
    from test_effects_release import _effect, _tables

    def row(group: str, grouping: str, note: str = "", measured_c: int = 300) -> dict[str, object]:
        return _effect(200, 150, 800, measured_c) | {"grouping": grouping, "client_group": group, "note": note}

    rows = [
        row("all", "all"),
        row("youth", "rule"),
        row("older", "rule", "fewer than 60 measured participants or 100 measured comparison people"),
        row("low", "seed_model", measured_c=5),
    ]
    definitions = pd.DataFrame([{"group": "youth", "name_en": "young people", "name_fi": "nuoret", "name_sv": "unga"}])
    names = pd.DataFrame({"service_code": ["COACH"], "name_fi": ["V"], "name_sv": ["C"], "name_en": ["Coaching"]})
    tables = _tables(rows, []) | {"services_names": names, "groups_definitions": definitions}
    blocks = section.change_effects_section(tables, ReportContext("en", 10, datetime(2026, 1, 1)))
    table = next(b for b in blocks if isinstance(b, Table) and b.id == "change-effects-groups-6")
    labels = ["Rule-based group: young people", "Rule-based group: older", "Seed-model band: low chance of work"]
    assert [r[1] for r in table.rows] == labels
    assert table.rows[0][4:] == ("0.40", "0.20 … 0.60", "")
    assert table.rows[1][-1].startswith("too few for an estimate (fewer than 60")
    assert table.rows[2][-1] == "withheld by disclosure control (small counts)"
