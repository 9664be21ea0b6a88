"""Client groups, targeting and timeliness on the hand-built store (`groups_helpers`, where
each expected figure is worked out)."""

from __future__ import annotations

import pandas as pd
import pytest
from groups_helpers import AS_OF, GROUP_AT_REGISTRATION, pid

from polku.groups.config import GroupConfig
from polku.groups.tables import group_tables
from polku.menu import Menu, menu_tables


def _at(frame: pd.DataFrame, kind: str) -> dict[str, str]:
    rows = frame[frame["kind"] == kind]
    return dict(zip(rows["person_id"].astype(str), rows["rule_group"]))


def test_groups_at_registration_follow_the_first_rule_that_holds(grouped: pd.DataFrame) -> None:
    """P0 is 24 and on an earnings-related allowance: youth comes before recent_work."""
    assert _at(grouped, "at_0") == {str(pid(i)): g for i, g in enumerate(GROUP_AT_REGISTRATION)}
    payer = dict(zip(grouped.loc[grouped["kind"] == "at_0", "person_id"].astype(str), grouped["benefit_payer"]))
    assert [payer[str(pid(i))] for i in range(5)] == ["unemployment_fund", "unemployment_fund", "kela", "kela", "none"]


def test_later_checkpoints_and_service_starts(grouped: pd.DataFrame) -> None:
    """At 6 months (2024-07-02) P2 has left; at 12 months (2024-12-31) the spell is 11
    calendar months old, so nobody has turned long-term; P2's IPS start is in its group."""
    assert set(_at(grouped, "at_6")) == {str(pid(i)) for i in (0, 1, 3, 4)}
    assert _at(grouped, "at_12") == {str(pid(i)): GROUP_AT_REGISTRATION[i] for i in (0, 1, 3, 4)}
    episodes = grouped[grouped["kind"] == "episode"].set_index("episode_id")
    assert episodes["rule_group"].to_dict() == {"E0": "youth", "E1": "recent_work", "E2": "partial_work_ability"}
    assert set(grouped["seed_model_group"]) == {"low"}  # nobody worked: the seed model's chance is 0


def test_profile_and_transitions(grouped: pd.DataFrame, config: GroupConfig) -> None:
    tables = group_tables(grouped, config, pd.Timestamp(AS_OF))
    profile = tables["groups_profile"].set_index(["grouping", "group"])
    youth = profile.loc[("rule", "youth")]
    assert (youth["spells"], youth["age_sum"], youth["education_basic"], youth["payer_unemployment_fund"]) == (1, 24.0, 1, 1)
    assert profile.loc[("rule", "older"), "age_sum"] == pytest.approx(2024 - 1960 + (1 - 3) / 12)
    assert profile.loc[("seed_model", "low"), "spells"] == 5 and profile.loc[("seed_model", "low"), "employed_12m"] == 0
    moves = tables["groups_transitions"]
    rule6 = moves[(moves["grouping"] == "rule") & (moves["months"] == 6)]
    assert sorted(zip(rule6["from_group"], rule6["to_group"], rule6["count"])) == [
        ("long_term", "long_term", 1),
        ("older", "older", 1),
        ("partial_work_ability", "left", 1),
        ("recent_work", "recent_work", 1),
        ("youth", "youth", 1),
    ]


def test_targeting_timeliness_acceptance_and_unserved(grouped: pd.DataFrame, config: GroupConfig, menu: Menu) -> None:
    """IPS: P1 (recent work) is not in its groups, P2 (partial work ability) is: 1 of 2 = 50 %
    < 60 %, flagged; TRAIN: P0 (youth) 1 of 1. First services 60, 31 and 14 days after
    registration. Starts 3 of 5 registrations: long_term and older have none (0/3 < 0.1 x 1/5)."""
    tables = menu_tables(grouped, config, menu, pd.Timestamp(AS_OF))
    targeting = tables["menu_targeting"].set_index("service_code")
    assert targeting.loc["IPS", ["participants", "intended", "flagged"]].tolist() == [2, 1, True]
    assert targeting.loc["TRAIN", ["participants", "intended", "flagged"]].tolist() == [1, 1, False]
    timely = tables["menu_timeliness"].set_index("group")
    assert timely.loc["youth", ["spells", "served", "median_days", "within_90", "due_90"]].tolist() == [1, 1, 60.0, 1, 1]
    assert timely.loc["recent_work", "median_days"] == 31.0 and timely.loc["partial_work_ability", "median_days"] == 14.0
    assert timely.loc["long_term", "served"] == 0 and pd.isna(timely.loc["long_term", "median_days"])
    accepted = tables["menu_acceptance"].set_index(["service_code", "group"])
    assert accepted.loc[("IPS", "recent_work"), "interrupted"] == 1 and accepted.loc[("TRAIN", "youth"), "completed"] == 1
    unserved = tables["menu_unserved"].set_index("group")
    assert unserved["flagged"].to_dict() == {g: g in ("long_term", "older") for g in GROUP_AT_REGISTRATION}
    assert unserved.loc["partial_work_ability", "services_offered"] == 1  # IPS only in the test menu


def test_tables_round_trip_through_parquet(grouped: pd.DataFrame, config: GroupConfig, menu: Menu, tmp_path) -> None:
    tables = group_tables(grouped, config, pd.Timestamp(AS_OF)) | menu_tables(grouped, config, menu, pd.Timestamp(AS_OF))
    for name, frame in tables.items():
        path = tmp_path / f"{name}.parquet"
        frame.to_parquet(path)
        pd.testing.assert_frame_equal(pd.read_parquet(path), frame)


def test_an_empty_store_gives_empty_tables_and_no_data(tmp_path) -> None:
    import datetime as dt

    from polku.pipeline.settings import AnalysisContext
    from polku.reports.context import ReportContext
    from polku.reports.sections import groups, menu
    from polku.store import open_store

    with open_store(tmp_path / "empty.duckdb") as store:
        analysis = AnalysisContext()
        tables = groups.compute(store, analysis) | menu.compute(store, analysis)
    assert tables["groups_profile"].empty and tables["menu_targeting"].empty and len(tables["groups_definitions"]) == 6
    ctx = ReportContext(lang="en", threshold=10, generated_at=dt.datetime(2026, 1, 1))
    assert [b.text for b in groups.groups_section(tables, ctx) + menu.menu_section(tables, ctx)] == ["No data yet."] * 2
