"""The generator's assumptions as data: `assumptions.yaml`, loaded and checked once.

Every number the synthetic area is built from lives in that file with its source, so a
reader can see (and a test can check) that nothing in the code is an unexplained constant.
Parameters are read by dotted path, e.g. `value("hazards.employment")`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import Any

from polku.errors import ValidationFailed
from polku.yamlio import load_yaml

ASSUMPTIONS_FILE = "assumptions.yaml"


@cache
def assumptions() -> dict[str, Any]:
    """The parsed assumptions file; every parameter checked to carry a value and a source."""
    text = (resources.files("polku.synth") / ASSUMPTIONS_FILE).read_text(encoding="utf-8")
    data = load_yaml(text)
    for path, node in parameters(data):
        if set(node) != {"value", "source"} or not str(node["source"]).strip():
            raise ValidationFailed(
                f"synthetic-area parameter {path} lacks a value or a source",
                where=f"polku/synth/{ASSUMPTIONS_FILE}",
                why="every assumption must say where it comes from.",
                fix="give the parameter exactly the keys 'value' and 'source'.",
            )
    return data


def parameters(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(dotted path, parameter mapping) for every parameter: sections hold parameters."""
    for section, entries in data.items():
        for name, node in entries.items():
            yield f"{section}.{name}", node


# --- parameters replaced for one generation: one area of the national register
# (polku.synth.national), a creaming or parking provider (issue 18) --------------------------

OVERRIDES: ContextVar[Mapping[str, Any] | None] = ContextVar("polku_synth_overrides", default=None)
"""Parameters replaced while one area is simulated, by dotted path."""


@contextmanager
def overridden(values: Mapping[str, Any]) -> Iterator[None]:
    """Within the block, `value(path)` gives `values[path]` for the paths given (e.g. an
    area's labour market, or `provider_behaviour.creaming`), on top of any outer block;
    every other value as filed. A path the parameter file does not hold is refused."""
    filed = {path for path, _ in parameters(assumptions())}
    unknown = set(values) - filed
    if unknown:
        raise KeyError(f"synthetic-area parameters {sorted(unknown)} cannot be overridden: the parameter file has no such entry")
    token = OVERRIDES.set({**(OVERRIDES.get() or {}), **values})
    try:
        yield
    finally:
        OVERRIDES.reset(token)


def value(path: str) -> Any:
    """The value of one parameter, e.g. `value("benefits.days_per_month")`."""
    replaced = OVERRIDES.get()
    if replaced and path in replaced:
        return replaced[path]
    section, name = path.split(".", 1)
    try:
        return assumptions()[section][name]["value"]
    except KeyError:
        raise KeyError(f"no synthetic-area parameter {path!r} in {ASSUMPTIONS_FILE}") from None


# --- mis-targeting of services (client groups and the service menu, docs/groups.md) -------------


@dataclass(frozen=True)
class Targeting:
    """How the synthetic area's referrals stray from its service menu; the default, none.

    Why: the menu's checks (`polku.menu.targeting`) must be shown to find mis-targeting
    where it is built in, and not to flag an area where it is not. Groups are those of the
    client-group file (the shipped default unless `groups_file`), decided on the
    generator's own state at each monthly referral, as the store would show it.
    - `service`, `to_group`: the service is given mostly to a group it is not meant for:
      its monthly referral chance becomes `rate` for clients of `to_group` and is
      multiplied by `keep` for everyone else;
    - `left_out`: groups whose clients are never referred to any service.
    """

    service: str | None = None
    to_group: str | None = None
    rate: float = 0.03
    keep: float = 0.1
    left_out: tuple[str, ...] = ()
    groups_file: str | None = None

    @property
    def active(self) -> bool:
        return self.service is not None or bool(self.left_out)

    def to_dict(self) -> dict[str, Any]:
        """For the manifest: what was built in (empty when nothing)."""
        return asdict(self) | {"left_out": list(self.left_out)} if self.active else {}


NO_MISTARGETING = Targeting()
