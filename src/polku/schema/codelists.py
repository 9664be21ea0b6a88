"""Code lists are data: YAML files with fi, sv and en labels, loaded and validated here.

A closed list rejects unknown codes at import; an open list (municipalities) accepts any
code matching its pattern and only labels the ones it knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from polku.yamlio import load_yaml

LANGUAGES = ("fi", "sv", "en")


@dataclass(frozen=True)
class CodeList:
    name: str
    description: str
    closed: bool
    labels: dict[str, dict[str, str]]
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    pattern: str | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def label(self, code: str, lang: str = "en") -> str:
        """Label in the language asked; an unlabelled code of an open list shows as itself."""
        return self.labels.get(code, {}).get(lang, code)

    def accepts(self, code: str) -> bool:
        if code in self.labels:
            return True
        return not self.closed and bool(self.pattern and re.fullmatch(self.pattern, code))


def _parse(name: str, raw: dict[str, Any]) -> CodeList:
    labels: dict[str, dict[str, str]] = {}
    attributes: dict[str, dict[str, Any]] = {}
    for code, entry in raw["codes"].items():
        missing = [lang for lang in LANGUAGES if not entry.get(lang)]
        if missing:
            raise ValueError(f"code list {name}: code {code!r} lacks labels {missing}")
        labels[str(code)] = {lang: entry[lang] for lang in LANGUAGES}
        attributes[str(code)] = {k: v for k, v in entry.items() if k not in LANGUAGES}
    return CodeList(
        name=name,
        description=raw["description"],
        closed=bool(raw.get("closed", True)),
        labels=labels,
        attributes=attributes,
        pattern=raw.get("pattern"),
    )


@cache
def all_codelists() -> dict[str, CodeList]:
    """Every code list shipped with the package, by name (the file's stem)."""
    folder = resources.files("polku.schema") / "codelists"
    lists = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            name = entry.name.removesuffix(".yaml")
            lists[name] = _parse(name, load_yaml(entry.read_text(encoding="utf-8")))
    return lists


def codelist(name: str) -> CodeList:
    return all_codelists()[name]
