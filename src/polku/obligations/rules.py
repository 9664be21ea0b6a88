"""The job-search obligations as dated rule sets: YAML files in `rules/`, loaded and checked here.

One file per regime (the Nordic job-search model from 2 May 2022; the HE 108/2025 proposal),
each with its dates, its status (`in_force` or `proposed`), its references and every value
with its source, as laws are kept elsewhere in Polku. A rule set in force is chosen by date;
a proposed one only when asked for by name, so that an unconfirmed proposal never decides
what a case worker sees as due. Asking for a date before the first rule set is an error,
never an empty set of obligations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from polku.errors import UsageError, ValidationFailed
from polku.yamlio import load_yaml

STATUSES = ("in_force", "proposed")
VALUES = (
    "initial_interview_working_days",
    "discussion_interval_days",
    "intensive_period_months",
    "repeat_intensive_after_months",
    "repeat_intensive_months",
    "applications_per_month",
    "part_time_applications",
    "part_time_period_months",
    "first_neglect",
)


@dataclass(frozen=True)
class RuleSet:
    """One regime's obligations: what is due, from when, and where each value comes from."""

    id: str
    title: dict[str, str]
    status: str
    valid_from: dt.date
    valid_until: dt.date | None
    values: dict[str, Any]
    sources: dict[str, str]
    references: tuple[dict[str, str], ...]

    def __getattr__(self, name: str) -> Any:
        if name in VALUES:
            return self.values[name]
        raise AttributeError(name)

    def in_force_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


def _bad(file: str, what: str) -> ValidationFailed:
    return ValidationFailed(f"obligation rules: {what}", where=f"polku/obligations/rules/{file}", fix="correct the rule file.")


def _date(raw: Any, file: str, key: str) -> dt.date | None:
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise _bad(file, f"{key} is not an ISO date") from None


def parse(raw: dict[str, Any], file: str) -> RuleSet:
    """A rule set from its parsed YAML; every value must carry a source, every known value be present."""
    if raw.get("status") not in STATUSES:
        raise _bad(file, f"status must be one of {', '.join(STATUSES)}")
    values = raw.get("values") or {}
    missing = [name for name in VALUES if name not in values]
    if missing:
        raise _bad(file, f"values missing: {', '.join(missing)}")
    for name, node in values.items():
        if not isinstance(node, dict) or set(node) != {"value", "source"} or not str(node["source"]).strip():
            raise _bad(file, f"{name} needs exactly a value and a source")
    valid_from = _date(raw.get("valid_from"), file, "valid_from")
    if valid_from is None:
        raise _bad(file, "valid_from is required")
    return RuleSet(
        id=str(raw["id"]),
        title=dict(raw["title"]),
        status=str(raw["status"]),
        valid_from=valid_from,
        valid_until=_date(raw.get("valid_until"), file, "valid_until"),
        values={name: node["value"] for name, node in values.items()},
        sources={name: str(node["source"]) for name, node in values.items()},
        references=tuple(raw.get("reference") or ()),
    )


@cache
def rule_sets() -> dict[str, RuleSet]:
    """Every shipped rule set by id, oldest first."""
    folder = resources.files("polku.obligations") / "rules"
    found = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            found.append(parse(load_yaml(entry.read_text(encoding="utf-8")), entry.name))
    return {r.id: r for r in sorted(found, key=lambda r: r.valid_from)}


def rules_on(day: dt.date, regime: str | None = None) -> RuleSet:
    """The rule set in force on `day`, or the one named `regime` (a proposed one only this way)."""
    sets = rule_sets()
    if regime is not None:
        if regime not in sets:
            raise UsageError(f"no obligation rule set {regime!r}", fix=f"use one of: {', '.join(sets)}.")
        return sets[regime]
    for rules in reversed(sets.values()):
        if rules.status == "in_force" and rules.in_force_on(day):
            return rules
    first = min(r.valid_from for r in sets.values())
    raise UsageError(f"no job-search obligation rules in force on {day.isoformat()}", why=f"the first rules begin {first}.")
