"""Job-search obligations: known answers worked out by hand from the rule files.

The Nordic job-search model (rules/nordic_2022.yaml): initial interview within 5 working
days, a discussion every 14 days in the first 3 months and again for 3 months from 6 months,
4 applications a month (part-time 1 per 3 months). Dates below are counted on a calendar
of 2023 (2 January 2023 is a Monday).
"""

from __future__ import annotations

import datetime as dt

import pytest

from polku.errors import UsageError, ValidationFailed
from polku.obligations import applications_due, meetings_due, obligations, rule_sets, rules_on
from polku.obligations.due import add_months, working_days_after
from polku.obligations.rules import parse

D = dt.date
REGISTERED = D(2023, 1, 2)


def test_every_value_has_a_source_and_the_regimes_are_dated() -> None:
    sets = rule_sets()
    assert list(sets) == ["nordic_2022", "he_108_2025"]
    nordic, proposal = sets["nordic_2022"], sets["he_108_2025"]
    assert (nordic.status, nordic.valid_from) == ("in_force", D(2022, 5, 2))
    assert proposal.status == "proposed"
    for rules in sets.values():
        assert all(source.strip() for source in rules.sources.values())
    assert "assumption" in proposal.sources["initial_interview_working_days"]
    assert (nordic.initial_interview_working_days, nordic.discussion_interval_days, nordic.applications_per_month) == (5, 14, 4)


def test_a_proposal_is_never_chosen_by_date_and_no_rules_before_the_model() -> None:
    assert rules_on(D(2027, 1, 1)).id == "nordic_2022"
    assert rules_on(D(2027, 1, 1), "he_108_2025").id == "he_108_2025"
    with pytest.raises(UsageError, match="no job-search obligation rules in force on 2021-01-01"):
        rules_on(D(2021, 1, 1))
    with pytest.raises(UsageError, match="no obligation rule set 'x'"):
        rules_on(D(2023, 1, 1), "x")


def test_a_value_without_a_source_is_refused() -> None:
    raw = {"id": "x", "title": {}, "status": "in_force", "valid_from": "2022-05-02", "values": {"applications_per_month": 4}}
    with pytest.raises(ValidationFailed, match="values missing"):
        parse(raw, "x.yaml")


def test_calendar_helpers() -> None:
    assert working_days_after(D(2023, 1, 2), 5) == D(2023, 1, 9)  # Mon + 5 working days = next Mon
    assert working_days_after(D(2023, 1, 6), 1) == D(2023, 1, 9)  # Fri + 1 = Mon
    assert add_months(D(2023, 1, 31), 1) == D(2023, 2, 28)
    assert add_months(D(2023, 11, 15), 2) == D(2024, 1, 15)


def test_meetings_due_on_a_day_in_the_first_intensive_period() -> None:
    contacts = [
        (D(2023, 1, 5), "initial_interview"),
        (D(2023, 1, 16), "job_search_discussion"),
        (D(2023, 2, 1), "job_search_discussion"),
    ]
    found = meetings_due(REGISTERED, contacts, D(2023, 2, 20), rules_on(REGISTERED))
    assert [(m.kind, m.due, m.held_on, m.status) for m in found] == [
        ("initial_interview", D(2023, 1, 9), D(2023, 1, 5), "held"),
        ("discussion", D(2023, 1, 16), D(2023, 1, 16), "held"),
        ("discussion", D(2023, 1, 30), D(2023, 2, 1), "held_late"),
        ("discussion", D(2023, 2, 13), None, "overdue"),
        ("discussion", D(2023, 2, 27), None, "due"),  # 7 days ahead, within the 14-day interval
        ("discussion", D(2023, 3, 13), None, "upcoming"),  # shown up to a month ahead (20 March)
    ]


def test_the_repeated_intensive_period_from_six_months() -> None:
    found = meetings_due(REGISTERED, [], D(2023, 12, 31), rules_on(REGISTERED))
    dues = [m.due for m in found if m.kind == "discussion"]
    first = [D(2023, 1, 16), D(2023, 1, 30), D(2023, 2, 13), D(2023, 2, 27), D(2023, 3, 13), D(2023, 3, 27)]
    again = [D(2023, 7, 2), D(2023, 7, 16), D(2023, 7, 30), D(2023, 8, 13), D(2023, 8, 27), D(2023, 9, 10), D(2023, 9, 24)]
    assert dues == first + again
    assert all(m.status == "overdue" for m in found)
    assert found[0].due == D(2023, 1, 9) and found[0].kind == "initial_interview"


def test_applications_required_against_reported() -> None:
    reports = {D(2023, 2, 1): 4, D(2023, 3, 1): 2}
    periods = applications_due(REGISTERED, reports, D(2023, 5, 15), rules_on(REGISTERED))
    assert [(p.first_month, p.required, p.reported, p.short) for p in periods] == [
        (D(2023, 2, 1), 4, 4, False),
        (D(2023, 3, 1), 4, 2, True),
        (D(2023, 4, 1), 4, None, True),  # no report: none reported
    ]


def test_part_time_workers_apply_once_per_three_months() -> None:
    periods = applications_due(D(2023, 1, 1), {D(2023, 2, 1): 1}, D(2023, 7, 10), rules_on(D(2023, 1, 1)), part_time=True)
    assert [(p.first_month, p.months, p.required, p.reported) for p in periods] == [
        (D(2023, 1, 1), 3, 1, 1),
        (D(2023, 4, 1), 3, 1, None),
    ]


def test_summary_and_regimes() -> None:
    contacts = [(D(2023, 1, 5), "initial_interview")]
    result = obligations(REGISTERED, contacts, {D(2023, 2, 1): 4, D(2023, 3, 1): 2}, D(2023, 5, 15))
    assert result.rules is not None and result.rules.id == "nordic_2022"
    assert result.applications_last(3) == (12, 6)
    assert result.overdue == 6 and result.next_due == D(2023, 1, 16)
    assert obligations(D(2022, 4, 1), [], {}, D(2023, 1, 1)).rules is None  # before the model: no obligations
    proposal = obligations(D(2026, 1, 5), [], {}, D(2026, 2, 1), regime="he_108_2025")
    assert [(m.kind, m.due) for m in proposal.meetings] == [
        ("initial_interview", D(2026, 1, 19))
    ]  # 10 working days, no fixed talks
