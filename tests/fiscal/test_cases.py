"""Every rule against cases written as sentences, each with its source (tests/fiscal/cases).

A case file has `defaults` (year, person, tolerance, optionally the `rules` module) and
`cases`, each with `says` (the sentence, with the hand-computed steps or the official
example it quotes), the `person` (overriding the defaults) and the values it `expect`s.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from polku.fiscal.legislation import legislation
from polku.fiscal.rules import run
from polku.yamlio import load_yaml

CASES = Path(__file__).parent / "cases"


def _cases() -> list[Any]:
    out = []
    for file in sorted(CASES.glob("*.yaml")):
        data = load_yaml(file.read_text(encoding="utf-8"))
        defaults = data["defaults"]
        for i, case in enumerate(data["cases"]):
            out.append(pytest.param(defaults, case, id=f"{file.stem}[{i}]"))
    return out


@pytest.mark.parametrize(("defaults", "case"), _cases())
def test_case(defaults: dict, case: dict) -> None:
    assert case["says"] and case["expect"]
    module = importlib.import_module(f"polku.fiscal.rules.{case.get('rules', defaults.get('rules', 'income_tax'))}")
    person = {**defaults["person"], **case.get("person", {})}
    columns = {k: np.array([float(v)]) for k, v in person.items()}
    date = case.get("date", defaults.get("date"))
    p = legislation().on(date) if date else legislation().year(case.get("year", defaults["year"]))
    result = run(module.RULES, columns, p)
    tolerance = case.get("tolerance", defaults.get("tolerance", 0.01))
    for name, expected in case["expect"].items():
        assert result[name][0] == pytest.approx(expected, abs=tolerance), f"{name}: {case['says']}"
