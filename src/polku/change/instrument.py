"""Measurement instruments as data: one versioned YAML file per instrument.

Why data: an instrument's reliability and reference SD decide who counts as changed, so
they must be visible, cited and replaceable by an area without touching code (OpenFisca's
parameters as files). Each file in `polku/change/instruments/` names its items with their
domain, scale, direction, reliability (test-retest or alpha) and reference SD, each with a
source and a flag saying whether the value is an assumption. The loader refuses a bad file
in one line that names the file, the item and the value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from polku.errors import ValidationFailed
from polku.yamlio import load_yaml

DIRECTIONS = {"higher_is_better": 1, "lower_is_better": -1}
RELIABILITY_KINDS = ("test_retest", "alpha")
_TOP = ("instrument", "version", "description", "source", "licence", "items")


@dataclass(frozen=True)
class Item:
    """One item of an instrument with what the reliable change index needs."""

    code: str
    domain: str
    scale_min: float
    scale_max: float
    direction: int
    reliability: float
    reliability_kind: str
    reference_sd: float | None
    clinical_cutoff: float | None
    assumed: tuple[str, ...]
    """Which of reliability and reference_sd are assumptions, not published figures."""


@dataclass(frozen=True)
class Instrument:
    code: str
    version: int
    description: str
    items: Mapping[str, Item]
    path: str


class _Bad(Exception):
    """A reason a file is wrong; turned into a ValidationFailed naming the file."""


def _number(entry: Mapping[str, Any], key: str, where: str, *, allow_none: bool = False) -> float | None:
    value = entry.get(key)
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Bad(f"{where}: {key} must be a number, not {value!r}")
    return float(value)


def _sourced(entry: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    block = entry.get(key)
    if not isinstance(block, Mapping) or not block.get("source") or not isinstance(block.get("assumption"), bool):
        raise _Bad(f"{where}: {key} needs value, source and assumption (true or false)")
    return block


def _scale(entry: Mapping[str, Any], where: str) -> tuple[float, float]:
    scale = entry.get("scale")
    if not isinstance(scale, Mapping):
        raise _Bad(f"{where}: scale needs min and max")
    low, high = _number(scale, "min", f"{where} scale"), _number(scale, "max", f"{where} scale")
    if low is None or high is None or not high > low:
        raise _Bad(f"{where}: scale max must be above scale min")
    return low, high


def _reliability(entry: Mapping[str, Any], where: str) -> tuple[float, str, bool]:
    rel = _sourced(entry, "reliability", where)
    r = _number(rel, "value", f"{where} reliability")
    if r is None or not 0 <= r < 1:
        raise _Bad(f"{where}: reliability must be at least 0 and below 1, not {rel.get('value')!r}")
    if rel.get("kind") not in RELIABILITY_KINDS:
        raise _Bad(f"{where}: reliability kind must be one of {', '.join(RELIABILITY_KINDS)}, not {rel.get('kind')!r}")
    return r, str(rel["kind"]), bool(rel["assumption"])


def _item(code: str, entry: Any) -> Item:
    """One item, checked: scale ordered, direction known, 0 <= r < 1, SD > 0."""
    where = f"item {code!r}"
    if not isinstance(entry, Mapping):
        raise _Bad(f"{where} is not a mapping")
    low, high = _scale(entry, where)
    if entry.get("direction") not in DIRECTIONS:
        raise _Bad(f"{where}: direction must be one of {', '.join(DIRECTIONS)}, not {entry.get('direction')!r}")
    r, kind, r_assumed = _reliability(entry, where)
    ref = _sourced(entry, "reference_sd", where)
    sd = _number(ref, "value", f"{where} reference_sd", allow_none=True)
    if sd is not None and not sd > 0:
        raise _Bad(f"{where}: reference_sd must be positive, not {sd:g}")
    if not entry.get("domain"):
        raise _Bad(f"{where}: domain is missing")
    assumed = ("reliability",) * r_assumed + ("reference_sd",) * bool(ref["assumption"])
    return Item(
        code=code,
        domain=str(entry["domain"]),
        scale_min=low,
        scale_max=high,
        direction=DIRECTIONS[entry["direction"]],
        reliability=r,
        reliability_kind=kind,
        reference_sd=sd,
        clinical_cutoff=_number(entry, "clinical_cutoff", where, allow_none=True),
        assumed=assumed,
    )


def _instrument(raw: Any, path: str) -> Instrument:
    if not isinstance(raw, Mapping):
        raise _Bad("the file is not a mapping of instrument, version, description, source, licence and items")
    missing = [k for k in _TOP if k not in raw]
    if missing:
        raise _Bad(f"missing {', '.join(missing)}")
    if isinstance(raw["version"], bool) or not isinstance(raw["version"], int) or raw["version"] < 1:
        raise _Bad(f"version must be a whole number from 1, not {raw['version']!r}")
    if not isinstance(raw["items"], Mapping) or not raw["items"]:
        raise _Bad("items must map item codes to their definitions")
    items = {str(code): _item(str(code), entry) for code, entry in raw["items"].items()}
    return Instrument(str(raw["instrument"]), raw["version"], str(raw["description"]).strip(), items, path)


def parse_instrument(text: str, path: str) -> Instrument:
    """An instrument from the text of its file, or ValidationFailed naming file and reason."""
    try:
        return _instrument(load_yaml(text), path)
    except (_Bad, yaml.YAMLError) as error:
        reason = str(error).splitlines()[0] if isinstance(error, yaml.YAMLError) else str(error)
        raise ValidationFailed(
            f"instrument file {path}: {reason}",
            fix="correct the file; docs/change.md describes every field of an instrument file.",
        ) from None


def load_instrument(path: Path) -> Instrument:
    """One instrument file from disk (an area's own instrument)."""
    return parse_instrument(path.read_text(encoding="utf-8"), str(path))


def _packaged() -> Iterable[tuple[str, str]]:
    folder = resources.files("polku.change") / "instruments"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            yield entry.read_text(encoding="utf-8"), f"polku/change/instruments/{entry.name}"


@cache
def instruments() -> dict[str, Instrument]:
    """Every instrument shipped with Polku, by code; two files with one code are refused."""
    out: dict[str, Instrument] = {}
    for text, path in _packaged():
        found = parse_instrument(text, path)
        if found.code in out:
            raise ValidationFailed(f"instrument file {path}: instrument {found.code!r} is defined twice")
        out[found.code] = found
    return out


def with_area_files(folder: Path | None) -> dict[str, Instrument]:
    """The shipped instruments with an area's own files (`*.yaml` in `folder`) added; an
    area file with a shipped instrument's code replaces it (e.g. the area's own measured
    reliability of the change meter). Two area files with one code are refused."""
    found = dict(instruments())
    if folder is None:
        return found
    if not folder.is_dir():
        raise ValidationFailed(
            f"no folder of instrument files at {folder}", fix="give a folder that holds *.yaml instrument files."
        )
    own: dict[str, Instrument] = {}
    for path in sorted(folder.glob("*.yaml")):
        inst = load_instrument(path)
        if inst.code in own:
            raise ValidationFailed(f"instrument file {path}: instrument {inst.code!r} is defined twice")
        own[inst.code] = inst
    return found | own


def item_parameters(chosen: Mapping[str, Instrument] | None = None) -> list[dict[str, Any]]:
    """One row per (instrument, item): what the store's change queries join to."""
    chosen = instruments() if chosen is None else chosen
    return [
        {
            "instrument": inst.code,
            "item": item.code,
            "direction": item.direction,
            "reliability": item.reliability,
            "reference_sd": item.reference_sd,
            "scale_min": item.scale_min,
            "scale_max": item.scale_max,
        }
        for inst in chosen.values()
        for item in inst.items.values()
    ]
