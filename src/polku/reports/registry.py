"""The registry of report sections, so a new capability adds a section without editing others.

A section is an id, the message key of its title, an order number and a function
(store, context) -> blocks. Every module in `polku.reports.sections` registers its
sections when imported; `sections()` imports them all, so adding a file there (e.g.
`sections/impact.py`) is the whole change a later capability needs.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from polku.reports.blocks import Block
from polku.reports.context import ReportContext
from polku.store import Store

Builder = Callable[[Store, ReportContext], Sequence[Block]]


@dataclass(frozen=True)
class Section:
    id: str
    title_key: str
    order: int
    build: Builder


_REGISTRY: dict[str, Section] = {}


def register(id: str, title_key: str, order: int) -> Callable[[Builder], Builder]:
    """Decorator: register `build` as the section `id` (re-registering replaces it)."""

    def decorate(build: Builder) -> Builder:
        _REGISTRY[id] = Section(id, title_key, order, build)
        return build

    return decorate


def sections() -> list[Section]:
    """Every registered section in report order, after importing all section modules."""
    package = importlib.import_module("polku.reports.sections")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.id))
