"""The generator's assumptions as data: `assumptions.yaml`, loaded and checked once.

Every number the synthetic area is built from lives in that file with its source, so a
reader can see (and a test can check) that nothing in the code is an unexplained constant.
Parameters are read by dotted path, e.g. `value("hazards.employment")`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
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


# --- national register (polku.synth.national): one area's parameters in place of the file's ---

OVERRIDES: ContextVar[Mapping[str, Any] | None] = ContextVar("polku_synth_overrides", default=None)
"""Parameters replaced while one area of the national register is simulated, by dotted path."""


@contextmanager
def overridden(values: Mapping[str, Any]) -> Iterator[None]:
    """Within the block, `value(path)` gives `values[path]` for the paths given (the area's
    labour market, client mix, service mix and true effects); every other value as filed."""
    token = OVERRIDES.set(values)
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
