"""A person's result line by line: each amount, the rule and law behind it, and every
parameter it used with its value, the date that value holds from, and its source.

A council member who asks "where does this 1 392 euros come from" gets the answer on one
page, without reading code (`polku fiscal --explain PERSON_ID`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from polku.errors import UsageError
from polku.fiscal.legislation import Legislation, Reading, Scale
from polku.fiscal.person_year import calculate
from polku.fiscal.rules.contributions import EMPLOYER
from polku.fiscal.rules.income_tax import RULES as INCOME_TAX
from polku.fiscal.rules.unemployment import TTL

LAWS = {
    "unemployment_benefit": ("Unemployment benefit for the year's paid days, each month under its own rules.", TTL),
    **{rule.name: (rule.description, rule.law) for rule in (*INCOME_TAX, *EMPLOYER)},
    "net_income": ("Net income: wages and benefits less taxes and the employee's contributions.", ""),
}
"""Every line of a breakdown, in order: (description, law)."""


@dataclass(frozen=True)
class Line:
    name: str
    description: str
    law: str
    value: float
    readings: tuple[Reading, ...]


def breakdown(person: pd.DataFrame, year: int, tree: Legislation | None = None, source: str = "persons") -> list[Line]:
    """The lines of one person's calculation (`person`: a one-row persons table)."""
    if len(person) != 1:
        raise UsageError(
            f"an explanation is for one person, and {len(person)} rows were given",
            where=source,
            fix="give each person one row with a unique person_id",
        )
    trace: dict[str, list[Reading]] = {}
    values = calculate(person, year, tree, source=source, trace=trace, every_step=True).iloc[0]
    return [Line(name, *LAWS[name], float(values[name]), _unique(trace.get(name, []))) for name in LAWS]


def render(lines: list[Line]) -> str:
    """Plain text: one block per line, its parameters indented under it."""
    out = []
    for line in lines:
        out.append(f"{line.name:<48} {line.value:>12,.2f}  {line.description}")
        if line.law:
            out.append(f"    law: {line.law}")
        for r in line.readings:
            refs = "; ".join(f"{ref.title} <{ref.href}>" for ref in r.parameter.references_on(r.date))
            value = _scale_text(r.value) if isinstance(r.value, Scale) else r.value
            out.append(
                f"    {r.parameter.name} = {value} ({r.parameter.unit}, from {r.parameter.entry_on(r.date).start}): {refs}"
            )
    return "\n".join(out)


def _unique(readings: list[Reading]) -> tuple[Reading, ...]:
    """Each parameter once per value it had (a monthly rule reads the same value 12 times)."""
    seen: dict[tuple[str, str, object], Reading] = {}
    for r in readings:
        seen.setdefault((r.parameter.name, repr(r.value), r.parameter.entry_on(r.date).start), r)
    return tuple(seen.values())


def _scale_text(scale: Scale) -> str:
    return ", ".join(f"{t:,.0f}+: {r:.2%}" for t, r in zip(scale.thresholds, scale.rates, strict=True))
