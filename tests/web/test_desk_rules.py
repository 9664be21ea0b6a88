"""The own desk's flags, goal states and change since entry: known answers by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from polku.change.instrument import instruments
from polku.web.desk_rules import change_since_entry, falling, flags, goal_state

D = dt.date
KYKYVIISARI = instruments()["work_ability_self_assessment"].items["work_ability_score"]  # SD 2.08, r 0.89


@pytest.mark.parametrize(
    ("stage", "since_service", "spell_days", "falling_items", "expected"),
    [
        ("registered", None, 30, [], ["no_service_3m"]),  # never a service
        ("registered", 91, 30, [], []),  # exactly 3 months (91 days) is not over
        ("waiting", 92, 30, [], ["no_service_3m"]),
        ("in_service", None, 30, [], []),  # in a service: never idle
        ("registered", 10, 304, [], ["long_term_approaching"]),  # 365 - 61 = 304: two months before
        ("registered", 10, 303, [], []),
        ("registered", 10, 365, [], []),  # already long-term unemployed
        ("employed", None, None, ["skills"], ["falling"]),
    ],
)
def test_flags(
    stage: str, since_service: int | None, spell_days: int | None, falling_items: list[str], expected: list[str]
) -> None:
    assert flags(stage, since_service, spell_days, falling_items) == expected


def test_falling_needs_three_falls_or_a_reliable_deterioration() -> None:
    assert falling([4, 3, 2])
    assert not falling([4, 3, 3])
    assert not falling([2, 4])  # two values without an instrument's SD say nothing
    # Kykyviisari: S_diff = sqrt(2) x 2.08 x sqrt(0.11) = 0.976; 8 -> 6 gives RCI -2.05 < -1.96
    assert falling([8.0, 6.0], KYKYVIISARI)
    assert not falling([8.0, 6.5], KYKYVIISARI)  # RCI -1.54


def test_goal_state() -> None:
    as_of = D(2026, 3, 31)
    assert goal_state("open", D(2026, 3, 30), as_of) == "overdue"
    assert goal_state("open", D(2026, 4, 30), as_of) == "due"  # 30 days ahead
    assert goal_state("open", D(2026, 5, 1), as_of) is None
    assert goal_state("achieved", D(2026, 3, 1), as_of) is None
    assert goal_state("open", None, as_of) is None


def test_change_since_entry() -> None:
    change = change_since_entry(
        "work_ability_score", [(D(2025, 1, 1), 5.0), (D(2025, 6, 1), 6.0), (D(2026, 1, 1), 7.5)], KYKYVIISARI
    )
    assert (change.first, change.latest, change.difference, change.latest_on) == (5.0, 7.5, 2.5, D(2026, 1, 1))
    assert change.reliable == "improved"  # RCI 2.5 / 0.976 = 2.56
    assert change_since_entry("skills", [(D(2025, 1, 1), 3.0)], None).reliable is None
