"""Finnish tax and benefit parameters as dated data: one YAML file per parameter.

Laws change every year and sometimes mid-year; the rules in `polku.fiscal.rules` must not
hold a single number. Every number sits in `polku/fiscal/parameters/`, one file per
parameter, following OpenFisca's example: the file's path is the parameter's dotted name
(`parameters/income_tax/basic_deduction/maximum.yaml` is
`income_tax.basic_deduction.maximum`), and the file says what the parameter is, its unit,
the law or official page behind each dated value, and until when the last value is known
to hold:

    description: Basic deduction (perusvähennys), maximum amount
    unit: EUR/year
    reference:
      2024-01-01:
        - title: Tuloverolaki 1535/1992, 106 §
          href: https://www.finlex.fi/fi/laki/ajantasa/1992/19921535
    values:
      2024-01-01: {value: 3980, note: "checked against vero.fi ..."}
      2025-01-01: {value: 4115}
    last_value_still_valid_on: 2026-12-31

A value holds from its date until the next one. Asking for a parameter before its first
date, or after `last_value_still_valid_on`, raises `ParameterNotInForce`: a silent 0 or a
stale value would flow into every euro of a cost-benefit analysis unseen.

Scales (`unit: scale`) hold a list of brackets `{threshold, rate}` per date: a marginal
rate from each threshold up to the next, as in the state income tax scale.

Every file is validated when the tree is loaded; an error names the file and the key.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from polku.errors import Location, UsageError, ValidationFailed
from polku.yamlio import load_yaml

PARAMETERS_DIR = Path(__file__).parent / "parameters"

UNITS = {
    "EUR": "euros",
    "EUR/year": "euros a year",
    "EUR/month": "euros a month",
    "EUR/day": "euros a day",
    "/1": "a share (0.0754 is 7.54 %)",
    "days": "days",
    "years": "years (an age or a duration)",
    "count": "a number of things",
    "scale": "marginal rates by threshold (list of {threshold, rate})",
}
"""The closed list of units; a file with any other unit is rejected."""


class ParameterNotInForce(UsageError):
    """A parameter was asked for on a date its files do not cover."""


@dataclass(frozen=True)
class Reference:
    title: str
    href: str


@dataclass(frozen=True)
class Scale:
    """Marginal rates: `rates[i]` applies to the part of the base between `thresholds[i]`
    and `thresholds[i + 1]`."""

    thresholds: np.ndarray
    rates: np.ndarray

    def calc(self, base: np.ndarray | float) -> np.ndarray:
        """The amount the scale gives for each base (vectorised; a base under 0 gives 0)."""
        base = np.asarray(base, dtype=float)
        upper = np.append(self.thresholds[1:], np.inf)
        parts = np.clip(base[..., None] - self.thresholds, 0.0, upper - self.thresholds)
        return parts @ self.rates


@dataclass(frozen=True)
class DatedValue:
    start: dt.date
    value: Any
    note: str | None = None


@dataclass(frozen=True)
class Parameter:
    """One parameter file: what it is, its unit, and its values by date with their sources."""

    name: str
    description: str
    unit: str
    values: tuple[DatedValue, ...]
    references: dict[dt.date, tuple[Reference, ...]]
    last_value_still_valid_on: dt.date
    file: Path = field(compare=False)

    def entry_on(self, date: dt.date) -> DatedValue:
        """The dated value in force on `date`."""
        if date < self.values[0].start or date > self.last_value_still_valid_on:
            raise ParameterNotInForce(
                f"{self.name} has no value on {date}: its values run from {self.values[0].start} to "
                f"{self.last_value_still_valid_on}",
                where=Location(str(self.file)),
                fix="choose a date the parameters cover, or add the year's value with its source to the file",
            )
        starts = [v.start for v in self.values]
        return self.values[bisect.bisect_right(starts, date) - 1]

    def on(self, date: dt.date) -> Any:
        return self.entry_on(date).value

    def references_on(self, date: dt.date) -> tuple[Reference, ...]:
        """The sources of the value in force on `date`: the latest reference dated on or
        before the value's start (a law's text usually covers several years)."""
        start = self.entry_on(date).start
        dated = [d for d in self.references if d <= start]
        return self.references[max(dated)] if dated else ()


@dataclass(frozen=True)
class Reading:
    """One parameter value a rule read: what, on which date, and from where."""

    parameter: Parameter
    date: dt.date
    value: Any


class Snapshot:
    """The parameters in force on one date, by dotted attribute (`p.income_tax.state.scale`).

    With `reads`, every value looked up is also appended there, so a result can be traced
    back to the parameters (and their sources) that made it."""

    def __init__(self, legislation: Legislation, date: dt.date, prefix: str = "", reads: list[Reading] | None = None) -> None:
        self._legislation, self._date, self._prefix, self._reads = legislation, date, prefix, reads

    def recording(self, reads: list[Reading] | None) -> Snapshot:
        """The same snapshot, appending what is read to `reads` (None: not recording)."""
        return Snapshot(self._legislation, self._date, self._prefix, reads)

    def _read(self, name: str) -> Any:
        parameter = self._legislation.parameters[name]
        value = parameter.on(self._date)
        if self._reads is not None:
            self._reads.append(Reading(parameter, self._date, value))
        return value

    @property
    def date(self) -> dt.date:
        return self._date

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        name = f"{self._prefix}{key}"
        if name in self._legislation.parameters:
            return self._read(name)
        if any(p.startswith(name + ".") for p in self._legislation.parameters):
            return Snapshot(self._legislation, self._date, name + ".", self._reads)
        raise AttributeError(f"no parameter or group {name!r} in {PARAMETERS_DIR}")

    def __getitem__(self, name: str) -> Any:
        name = f"{self._prefix}{name}"
        if name not in self._legislation.parameters:
            raise KeyError(f"no parameter {name!r} in {PARAMETERS_DIR}")
        return self._read(name)


@dataclass(frozen=True)
class Legislation:
    """Every parameter file under one directory, validated."""

    parameters: dict[str, Parameter]

    @classmethod
    def load(cls, directory: Path = PARAMETERS_DIR) -> Legislation:
        files = sorted(directory.rglob("*.yaml"))
        if not files:
            raise ValidationFailed(f"no parameter files under {directory}")
        return cls({p.name: p for p in (_parameter(f, directory) for f in files)})

    def on(self, date: dt.date | str) -> Snapshot:
        return Snapshot(self, _as_date(date, "the date asked for"))

    def year(self, year: int) -> Snapshot:
        """The parameters of a tax year: those in force on 1 January (Finnish income tax is
        annual: the scale, deductions and contribution rates of a year apply to the whole
        year's income)."""
        return self.on(dt.date(year, 1, 1))

    def parameter(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise KeyError(f"no parameter {name!r} in {PARAMETERS_DIR}") from None


@cache
def legislation() -> Legislation:
    """The package's parameter tree (loaded and validated once)."""
    return Legislation.load()


def _as_date(value: Any, what: str, where: Location | None = None) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(f"{what} is not a date (YYYY-MM-DD): {value!r}", where=where) from None


def _fail(file: Path, key: str, what: str) -> ValidationFailed:
    return ValidationFailed(
        what,
        where=Location(str(file), column=key or None),
        fix="see the format in polku/fiscal/legislation.py and docs/fiscal.md",
    )


def _parameter(file: Path, root: Path) -> Parameter:
    name = ".".join(file.relative_to(root).with_suffix("").parts)
    try:
        data = load_yaml(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise _fail(file, "", f"not valid YAML: {str(error).replace('<unicode string>', file.name)}") from None
    if not isinstance(data, dict):
        raise _fail(file, "", "a parameter file must be a mapping")
    for key in ("description", "unit", "reference", "values", "last_value_still_valid_on"):
        if key not in data:
            raise _fail(file, key, f"missing '{key}'")
    unknown = set(data) - {"description", "unit", "reference", "values", "last_value_still_valid_on", "documentation"}
    if unknown:
        raise _fail(file, sorted(unknown)[0], f"unknown key(s) {sorted(unknown)}")
    unit = data["unit"]
    if unit not in UNITS:
        raise _fail(file, "unit", f"unit {unit!r} is not one of {sorted(UNITS)}")
    values = tuple(sorted((_dated_value(file, unit, d, v) for d, v in (data["values"] or {}).items()), key=lambda v: v.start))
    if not values:
        raise _fail(file, "values", "no values")
    references = _references(file, data["reference"])
    if min(references) > values[0].start:
        raise _fail(file, "reference", f"the first value ({values[0].start}) has no reference dated on or before it")
    valid_on = _as_date(data["last_value_still_valid_on"], "last_value_still_valid_on", Location(str(file)))
    if valid_on < values[-1].start:
        raise _fail(file, "last_value_still_valid_on", f"{valid_on} is before the last value's date {values[-1].start}")
    return Parameter(name, str(data["description"]), unit, values, references, valid_on, file)


def _references(file: Path, raw: Any) -> dict[dt.date, tuple[Reference, ...]]:
    if not isinstance(raw, dict) or not raw:
        raise _fail(file, "reference", "reference must map dates to lists of {title, href}")
    out = {}
    for date, items in raw.items():
        items = items if isinstance(items, list) else [items]
        refs = []
        for item in items:
            if not isinstance(item, dict) or not item.get("title") or not item.get("href"):
                raise _fail(file, f"reference.{date}", "each reference needs a title and an href")
            refs.append(Reference(str(item["title"]), str(item["href"])))
        out[_as_date(date, f"reference date {date!r}", Location(str(file)))] = tuple(refs)
    return out


def _dated_value(file: Path, unit: str, date: Any, raw: Any) -> DatedValue:
    key = f"values.{date}"
    if not isinstance(raw, dict) or "value" not in raw:
        raise _fail(file, key, "each dated value must be a mapping with 'value' (and an optional 'note')")
    value = raw["value"]
    if unit == "scale":
        value = _scale(file, key, value)
    elif not isinstance(value, int | float) or isinstance(value, bool) or not np.isfinite(value):
        raise _fail(file, key, f"value must be a finite number, not {value!r}")
    elif unit == "/1" and not 0 <= value <= 1:
        raise _fail(file, key, f"a share must lie in [0, 1], not {value}")
    elif value < 0:
        raise _fail(file, key, f"value must not be negative: {value}")
    return DatedValue(_as_date(date, f"value date {date!r}", Location(str(file), column=key)), value, raw.get("note"))


def _scale(file: Path, key: str, raw: Any) -> Scale:
    if not isinstance(raw, list) or not raw or not all(isinstance(b, dict) and {"threshold", "rate"} <= set(b) for b in raw):
        raise _fail(file, key, "a scale is a list of {threshold, rate}")
    thresholds = np.array([float(b["threshold"]) for b in raw])
    rates = np.array([float(b["rate"]) for b in raw])
    if thresholds[0] != 0 or np.any(np.diff(thresholds) <= 0):
        raise _fail(file, key, "scale thresholds must start at 0 and rise")
    if np.any((rates < 0) | (rates > 1)):
        raise _fail(file, key, "scale rates must lie in [0, 1]")
    return Scale(thresholds, rates)
