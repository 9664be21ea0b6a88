"""Rule-based client groups: conditions on seed 000's background variables, as text.

Why text rules in a data file: an area decides its own groups (the youth guarantee's age,
its own definition of "close to the labour market"), and a case worker or a council member
should be able to read the rule. A rule is written as conditions joined by `and` and `or`
(`and` binds first, no parentheses, so every rule is an OR of ANDs), for example

    age < 30 and education = basic
    spell_months >= 12 or months_unemployed_prev36 >= 24
    activity_before in (disability_pension, sickness_allowance)
    always

Each condition compares one variable (`VARIABLES`) with a number, a code or true/false.
Evaluation is vectorised over arrays (one element per person and date) and never reads a
file or the clock. A missing value (NaN or None) satisfies no condition, not even `!=`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

NUMBER, CODE, FLAG = "number", "code", "boolean"
VARIABLES: Mapping[str, str] = {
    "age": NUMBER,
    "education": CODE,
    "months_unemployed_prev36": NUMBER,
    "spell_months": NUMBER,
    "benefit_payer": CODE,
    "activity_before": CODE,
    "partial_work_ability": FLAG,
}
"""The variables a rule may use, with their kind (seed 000's list; docs/groups.md)."""

CODELISTS: Mapping[str, str] = {"education": "education_level", "activity_before": "activity_before"}
"""Code variables whose values come from the data model's code lists (benefit_payer adds 'none')."""

ORDER_OPS = ("<=", ">=", "<", ">")
OPS = ("=", "!=", *ORDER_OPS, "in")
ALWAYS = "always"
_TOKEN = re.compile(r"\s*(<=|>=|!=|[=<>(),]|[A-Za-z_][A-Za-z0-9_]*|-?\d+(?:\.\d+)?)")

Value = float | str | bool


class RuleError(ValueError):
    """A rule that cannot be read; the message says which part and why."""


@dataclass(frozen=True)
class Condition:
    """`variable op value`, or `variable in (values)`."""

    variable: str
    op: str
    values: tuple[Value, ...]

    def text(self) -> str:
        shown = [_value_text(v) for v in self.values]
        if self.op == "in":
            return f"{self.variable} in ({', '.join(shown)})"
        return f"{self.variable} {self.op} {shown[0]}"


@dataclass(frozen=True)
class Rule:
    """An OR of ANDs of conditions; no alternatives means `always`."""

    alternatives: tuple[tuple[Condition, ...], ...]

    def text(self) -> str:
        if not self.alternatives:
            return ALWAYS
        return " or ".join(" and ".join(c.text() for c in conj) for conj in self.alternatives)


def _value_text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def tokens(text: str) -> list[str]:
    """The rule's words, operators and punctuation; anything else is refused."""
    out, at, text = [], 0, text.strip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if not match:
            raise RuleError(f"cannot read '{text[at:].strip()[:20]}' in rule '{text}'")
        out.append(match.group(1))
        at = match.end()
    return out


def _value(token: str, kind: str) -> Value:
    if kind == NUMBER:
        try:
            number = float(token)
        except ValueError:
            raise RuleError(f"'{token}' is not a number") from None
        if not math.isfinite(number):
            raise RuleError(f"'{token}' is not a finite number")
        return number
    if kind == FLAG:
        if token not in ("true", "false"):
            raise RuleError(f"'{token}' is not true or false")
        return token == "true"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token) or token in ("and", "or", "in"):
        raise RuleError(f"'{token}' is not a code")
    return token


def _condition(words: list[str]) -> Condition:
    """One condition from its tokens."""
    if len(words) < 3:
        raise RuleError(f"'{' '.join(words)}' is not a condition: write 'variable op value'")
    variable, op, rest = words[0], words[1], words[2:]
    if variable not in VARIABLES:
        raise RuleError(f"unknown variable '{variable}' (known: {', '.join(VARIABLES)})")
    kind = VARIABLES[variable]
    if op not in OPS:
        raise RuleError(f"unknown comparison '{op}' (use one of {' '.join(OPS)})")
    if op in ORDER_OPS and kind != NUMBER:
        raise RuleError(f"'{op}' needs a number, but '{variable}' is a {kind}")
    if op == "in":
        if len(rest) < 3 or rest[0] != "(" or rest[-1] != ")" or rest[2:-1:2] != [","] * (len(rest[1:-1]) // 2):
            raise RuleError(f"write '{variable} in (a, b, ...)'")
        return Condition(variable, op, tuple(_value(w, kind) for w in rest[1:-1:2]))
    if len(rest) != 1:
        raise RuleError(f"'{' '.join(words)}': one value after '{op}', or join conditions with 'and'/'or'")
    return Condition(variable, op, (_value(rest[0], kind),))


def _split(words: list[str], word: str) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for w in words:
        if w == word:
            parts.append([])
        else:
            parts[-1].append(w)
    if any(not p for p in parts):
        raise RuleError(f"'{word}' needs a condition on both sides")
    return parts


def parse_rule(text: str) -> Rule:
    """The rule written in `text` (see the module docstring); raises RuleError."""
    words = tokens(str(text))
    if words == [ALWAYS]:
        return Rule(())
    if not words:
        raise RuleError("empty rule: write a condition, or 'always'")
    return Rule(tuple(tuple(_condition(c) for c in _split(alt, "and")) for alt in _split(words, "or")))


def _holds(condition: Condition, values: np.ndarray) -> np.ndarray:
    """Where one condition holds; missing values never do."""
    kind = VARIABLES[condition.variable]
    if kind == NUMBER:
        x = np.asarray(values, dtype=float)
        present = np.isfinite(x)
        x = np.where(present, x, 0.0)
    else:
        x = np.asarray(values, dtype=object)
        present = np.array([v is not None and v == v for v in x], dtype=bool)
    v = condition.values
    compare = {
        "=": lambda: x == v[0],
        "!=": lambda: x != v[0],
        "<": lambda: x < v[0],
        "<=": lambda: x <= v[0],
        ">": lambda: x > v[0],
        ">=": lambda: x >= v[0],
        "in": lambda: np.isin(x, np.array(v, dtype=x.dtype if kind == NUMBER else object)),
    }[condition.op]
    return present & np.asarray(compare(), dtype=bool)


def evaluate(rule: Rule, variables: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """Boolean array of length `n`: where the rule holds for each row of `variables`."""
    if not rule.alternatives:
        return np.ones(n, dtype=bool)
    out = np.zeros(n, dtype=bool)
    for conjunction in rule.alternatives:
        part = np.ones(n, dtype=bool)
        for condition in conjunction:
            part &= _holds(condition, variables[condition.variable])
        out |= part
    return out
