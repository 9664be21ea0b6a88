"""The rule language of the client-group file: examples, refusals, and (hypothesis) that
every rule reads back as written and means what a plain Python reading of it means."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polku.groups.rules import FLAG, NUMBER, VARIABLES, Condition, Rule, RuleError, evaluate, parse_rule

CODES = {"education": ("basic", "upper_secondary", "tertiary"), "benefit_payer": ("kela", "unemployment_fund", "none")}
CODES |= {"activity_before": ("work", "study", "care", "sickness_allowance", "disability_pension", "other")}


def test_examples_parse_into_an_or_of_ands() -> None:
    rule = parse_rule("age < 30 and education = basic or months_unemployed_prev36 >= 24")
    assert rule.alternatives == (
        (Condition("age", "<", (30.0,)), Condition("education", "=", ("basic",))),
        (Condition("months_unemployed_prev36", ">=", (24.0,)),),
    )
    assert parse_rule("activity_before in (disability_pension,sickness_allowance)").alternatives[0][0].values == (
        "disability_pension",
        "sickness_allowance",
    )
    assert parse_rule("always") == Rule(())
    assert parse_rule("partial_work_ability = true").text() == "partial_work_ability = true"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("height > 2", "unknown variable 'height'"),
        ("education < basic", "'<' needs a number"),
        ("age < young", "'young' is not a number"),
        ("age < 30 and", "'and' needs a condition on both sides"),
        ("age = 30 31", "one value after '='"),
        ("education in basic", "write 'education in (a, b, ...)'"),
        ("partial_work_ability = yes", "'yes' is not true or false"),
        ("age ~ 3", "cannot read '~ 3'"),
        ("", "empty rule"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(text: str, words: str) -> None:
    with pytest.raises(RuleError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_rule(text)


def test_missing_values_satisfy_no_condition() -> None:
    """NaN and None match neither '=' nor '!=' (a missing value is not 'other')."""
    data = {"age": np.array([np.nan, 20.0]), "education": np.array([None, "basic"], dtype=object)}
    assert evaluate(parse_rule("age != 30"), data, 2).tolist() == [False, True]
    assert evaluate(parse_rule("education != tertiary"), data, 2).tolist() == [False, True]


def _values(variable: str) -> st.SearchStrategy:
    kind = VARIABLES[variable]
    if kind == NUMBER:
        return st.integers(0, 70).map(float)
    if kind == FLAG:
        return st.booleans()
    return st.sampled_from(CODES[variable])


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    variable = draw(st.sampled_from(sorted(VARIABLES)))
    ops = ["=", "!=", "in"] + (["<", "<=", ">", ">="] if VARIABLES[variable] == NUMBER else [])
    op = draw(st.sampled_from(ops))
    count = draw(st.integers(1, 3)) if op == "in" else 1
    return Condition(variable, op, tuple(draw(_values(variable)) for _ in range(count)))


rules = st.lists(st.lists(conditions(), min_size=1, max_size=3).map(tuple), min_size=0, max_size=3).map(
    lambda alts: Rule(tuple(alts))
)


@st.composite
def people(draw: st.DrawFn) -> dict[str, list]:
    n = 6
    return {v: [draw(_values(v)) for _ in range(n)] for v in VARIABLES}


def _holds(c: Condition, x: object) -> bool:
    v = c.values
    return {
        "=": lambda: x == v[0],
        "!=": lambda: x != v[0],
        "<": lambda: x < v[0],
        "<=": lambda: x <= v[0],
        ">": lambda: x > v[0],
        ">=": lambda: x >= v[0],
        "in": lambda: x in v,
    }[c.op]()


@settings(max_examples=80, deadline=None)
@given(rules)
def test_a_rule_reads_back_as_written(rule: Rule) -> None:
    assert parse_rule(rule.text()) == rule


@settings(max_examples=80, deadline=None)
@given(rules, people())
def test_evaluation_is_the_plain_reading(rule: Rule, data: dict[str, list]) -> None:
    """Row by row, the rule holds exactly when some alternative has all its conditions true."""
    arrays = {k: np.array(v, dtype=float if VARIABLES[k] == NUMBER else object) for k, v in data.items()}
    got = evaluate(rule, arrays, 6)
    expected = [
        not rule.alternatives or any(all(_holds(c, data[c.variable][i]) for c in conj) for conj in rule.alternatives)
        for i in range(6)
    ]
    assert got.tolist() == expected
