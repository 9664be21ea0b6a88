"""The service menu (palveluvalikko) as data: which client groups each service is meant for.

Why a file per area: seed 000 part 5 asks each area to build a service menu per client
group and to evaluate how well its services are targeted; which groups a service is meant
for is a decision of the area, so it lives in a YAML file beside the client-group file,
with a source for every entry, like a regional service manual (Uusimaa's Palvelumanuaali).
The shipped file is the synthetic area's (`data/synthetic.yaml`); an area names its own in
the setting POLKU_MENU. The check thresholds are in the file too, each with its source.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from polku.errors import ValidationFailed
from polku.groups.bands import GROUPS as BANDS
from polku.groups.config import GroupConfig, configured_path
from polku.yamlio import read_mapping_file

ANY = "any"
_TOP = ("name", "version", "groups", "description", "source", "checks", "services")
_CHECKS = ("min_share", "unserved_ratio")
_ENTRY_REQUIRED = ("service", "groups", "source")
_ENTRY_OPTIONAL = ("bands", "note")


@dataclass(frozen=True)
class Entry:
    """One service: its intended rule groups (empty = any) and seed-model bands (empty = any)."""

    service: str
    groups: tuple[str, ...]
    bands: tuple[str, ...]
    source: str
    note: str

    def intended(self, group: str, band: str) -> bool:
        """Whether a participant of `group` in seed-model `band` is one the service is meant for."""
        return (not self.groups or group in self.groups) and (not self.bands or band in self.bands)


@dataclass(frozen=True)
class Menu:
    name: str
    version: int
    groups_name: str
    min_share: float
    unserved_ratio: float
    entries: tuple[Entry, ...]
    sha256: str
    path: str

    def entry(self, service: str) -> Entry | None:
        return next((e for e in self.entries if e.service == service), None)


def default_path() -> Path:
    return Path(str(resources.files("polku.menu") / "data" / "synthetic.yaml"))


def _refuse(path: Path, what: str) -> ValidationFailed:
    return ValidationFailed(
        f"service-menu file {path.name}: {what}", where=str(path), fix="correct the file (docs/groups.md describes its format)."
    )


def _codes(path: Path, service: str, key: str, raw: Any, known: tuple[str, ...]) -> tuple[str, ...]:
    if raw == ANY or raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise _refuse(path, f"service '{service}': {key} must be '{ANY}' or a non-empty list")
    unknown = [str(c) for c in raw if str(c) not in known]
    if unknown:
        raise _refuse(path, f"service '{service}': unknown {key} {', '.join(unknown)} (known: {', '.join(known)})")
    return tuple(str(c) for c in raw)


def _entry(path: Path, raw: Any, groups: GroupConfig, seen: set[str]) -> Entry:
    if not isinstance(raw, dict) or not set(_ENTRY_REQUIRED) <= set(raw) <= set(_ENTRY_REQUIRED + _ENTRY_OPTIONAL):
        raise _refuse(path, f"each service needs {', '.join(_ENTRY_REQUIRED)} (and may have {', '.join(_ENTRY_OPTIONAL)})")
    service = str(raw["service"])
    if service in seen:
        raise _refuse(path, f"service '{service}' is listed twice")
    if not str(raw["source"]).strip():
        raise _refuse(path, f"service '{service}': the source is empty")
    seen.add(service)
    return Entry(
        service,
        _codes(path, service, "groups", raw["groups"], groups.codes),
        _codes(path, service, "bands", raw.get("bands"), BANDS),
        str(raw["source"]),
        str(raw.get("note") or ""),
    )


def _check(path: Path, checks: Any, name: str) -> float:
    node = checks.get(name) if isinstance(checks, dict) else None
    if not isinstance(node, dict) or set(node) != {"value", "source"} or not str(node["source"]).strip():
        raise _refuse(path, f"checks.{name} needs a value and a source")
    value = node["value"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _refuse(path, f"checks.{name} must be a number from 0 to 1, not {value!r}")
    return float(value)


def load_menu(groups: GroupConfig, path: Path | None = None) -> Menu:
    """The menu in `path` (default: the setting POLKU_MENU, else the synthetic area's),
    checked against the client-group configuration it names."""
    path = path or configured_path("POLKU_MENU", default_path())
    raw, data = read_mapping_file(path, _TOP, _refuse)
    if str(raw["groups"]) != groups.name:
        raise _refuse(path, f"it is written for the client groups '{raw['groups']}', but the groups in use are '{groups.name}'")
    if not isinstance(raw["version"], int) or raw["version"] < 1:
        raise _refuse(path, "version must be a whole number from 1")
    if not isinstance(raw["services"], list) or not raw["services"]:
        raise _refuse(path, "services must be a non-empty list")
    seen: set[str] = set()
    entries = tuple(_entry(path, e, groups, seen) for e in raw["services"])
    min_share, ratio = (_check(path, raw["checks"], c) for c in _CHECKS)
    digest = hashlib.sha256(data).hexdigest()
    return Menu(str(raw["name"]), raw["version"], str(raw["groups"]), min_share, ratio, entries, digest, str(path))
