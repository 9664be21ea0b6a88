"""The client-group configuration: a YAML file of named groups, each with a rule and a source.

Why a file: seed 000 asks each area to describe its own client groups (part 2); the
shipped default (`data/groups.yaml`) follows the variables seed 000 lists, and an area
writes a file of the same shape and names it in the setting POLKU_GROUPS. The groups are
tried in order and a person belongs to the first whose rule holds (as a service manual's
decision tree reads); a person no rule matches is `unassigned`, so the default ends with
`always`. The loader refuses a bad file in one line that names the file, the group and why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from polku import settings
from polku.errors import ValidationFailed
from polku.groups.rules import CODE, CODELISTS, VARIABLES, Rule, RuleError, evaluate, parse_rule
from polku.schema.codelists import codelist
from polku.yamlio import read_mapping_file

UNASSIGNED = "unassigned"
LANGS = ("fi", "sv", "en")
_TOP = ("name", "version", "description", "source", "groups")
_GROUP = ("code", "names", "rule", "source")
EXTRA_CODES: Mapping[str, tuple[str, ...]] = {"benefit_payer": ("kela", "unemployment_fund", "none")}
"""Codes of the variables with no code list of their own (the payer of the unemployment benefit)."""


@dataclass(frozen=True)
class Group:
    code: str
    names: Mapping[str, str]
    rule: Rule
    source: str


@dataclass(frozen=True)
class GroupConfig:
    """A whole configuration, with the file's SHA-256 for the run's provenance."""

    name: str
    version: int
    source: str
    groups: tuple[Group, ...]
    sha256: str
    path: str

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.groups)

    def name_of(self, code: str, lang: str) -> str:
        for group in self.groups:
            if group.code == code:
                return group.names.get(lang) or group.names.get("en") or code
        return code


def default_path() -> Path:
    """The shipped default configuration."""
    return Path(str(resources.files("polku.groups") / "data" / "groups.yaml"))


def configured_path(setting: str, default: Path) -> Path:
    """The file a path setting names (POLKU_GROUPS, POLKU_MENU), else `default`."""
    given = settings.get(setting).strip()
    return Path(given).expanduser() if given else default


def _refuse(path: Path, what: str) -> ValidationFailed:
    return ValidationFailed(
        f"client-group file {path.name}: {what}",
        where=str(path),
        fix="correct the file (docs/groups.md describes its format).",
    )


def _known_codes(variable: str) -> tuple[str, ...]:
    return EXTRA_CODES.get(variable) or codelist(CODELISTS[variable]).codes


def check_codes(rule: Rule) -> None:
    """Refuse a code value that the variable never takes (a typo would match nobody)."""
    for conjunction in rule.alternatives:
        for condition in conjunction:
            if VARIABLES[condition.variable] != CODE:
                continue
            known = _known_codes(condition.variable)
            for value in condition.values:
                if value not in known:
                    raise RuleError(f"'{value}' is not a code of {condition.variable} (known: {', '.join(known)})")


def _group(path: Path, raw: Any, seen: set[str]) -> Group:
    if not isinstance(raw, dict) or set(raw) != set(_GROUP):
        raise _refuse(path, f"each group needs exactly the keys {', '.join(_GROUP)}")
    code = str(raw["code"])
    if code in seen or code == UNASSIGNED or not code.isidentifier():
        raise _refuse(path, f"group code '{code}' is repeated, reserved or not a plain word")
    names = raw["names"]
    if not isinstance(names, dict) or set(names) != set(LANGS) or not all(str(v).strip() for v in names.values()):
        raise _refuse(path, f"group '{code}': names needs fi, sv and en")
    if not str(raw["source"]).strip():
        raise _refuse(path, f"group '{code}': the source is empty")
    try:
        rule = parse_rule(str(raw["rule"]))
        check_codes(rule)
    except RuleError as error:
        raise _refuse(path, f"group '{code}': {error}") from None
    seen.add(code)
    return Group(code, {k: str(v) for k, v in names.items()}, rule, str(raw["source"]))


def load_groups(path: Path | None = None) -> GroupConfig:
    """The configuration in `path` (default: the setting POLKU_GROUPS, else the shipped file)."""
    path = path or configured_path("POLKU_GROUPS", default_path())
    raw, data = read_mapping_file(path, _TOP, _refuse)
    if not isinstance(raw["version"], int) or raw["version"] < 1:
        raise _refuse(path, "version must be a whole number from 1")
    if not isinstance(raw["groups"], list) or not raw["groups"]:
        raise _refuse(path, "groups must be a non-empty list")
    seen: set[str] = set()
    groups = tuple(_group(path, g, seen) for g in raw["groups"])
    digest = hashlib.sha256(data).hexdigest()
    return GroupConfig(str(raw["name"]), raw["version"], str(raw["source"]), groups, digest, str(path))


def assign(config: GroupConfig, variables: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """Each row's group: the first group whose rule holds, else `unassigned`."""
    out = np.full(n, UNASSIGNED, dtype=object)
    free = np.ones(n, dtype=bool)
    for group in config.groups:
        hit = free & evaluate(group.rule, variables, n)
        out[hit] = group.code
        free &= ~hit
    return out
