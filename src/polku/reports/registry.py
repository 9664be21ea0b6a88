"""The registry of report sections, so a new capability adds a section without editing others.

A section is an id, the message key of its title, an order number and two functions:
`compute(store, analysis) -> {table name: DataFrame}`, run once by `polku analyse` and
stored in the analysis run, and `render(results, context) -> blocks`, which reads only
those stored tables (of any section), never the store, and never fits. Table names are
global across sections and must be unique. Every module in `polku.reports.sections`
registers its sections when imported; `sections()` imports them all, so adding a file
there is the whole change a later capability needs.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from polku.pipeline.settings import AnalysisContext
from polku.reports.blocks import Block
from polku.reports.context import ReportContext

Results = Mapping[str, pd.DataFrame]
"""The stored tables of one analysis run, by name."""
if TYPE_CHECKING:
    from polku.store import Store  # the engine is imported by `polku analyse`, not by a reader of runs

Computer = Callable[["Store", AnalysisContext], Mapping[str, pd.DataFrame]]
Renderer = Callable[[Results, ReportContext], Sequence[Block]]


@dataclass(frozen=True)
class Section:
    id: str
    title_key: str
    order: int
    render: Renderer
    compute: Computer
    kinds: tuple[str, ...] = ("area",)
    """The kinds of run it renders, as run.json names them (`polku.runs.layout.AREA`,
    `REGISTER`; spelled here, since runs depend on reports and not the other way): an area's,
    and for the national section also a national register's, which holds the national
    tables only."""


_REGISTRY: dict[str, Section] = {}


def register(
    id: str, title_key: str, order: int, compute: Computer, kinds: tuple[str, ...] = ("area",)
) -> Callable[[Renderer], Renderer]:
    """Decorator: register `render` as the section `id` (re-registering replaces it)."""

    def decorate(render: Renderer) -> Renderer:
        _REGISTRY[id] = Section(id, title_key, order, render, compute, kinds)
        return render

    return decorate


def sections(kind: str | None = None) -> list[Section]:
    """Every registered section in report order, after importing all section modules; with
    `kind`, those that render a run of that kind."""
    package = importlib.import_module("polku.reports.sections")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    found = sorted(_REGISTRY.values(), key=lambda s: (s.order, s.id))
    return found if kind is None else [s for s in found if kind in s.kinds]
