"""The payments and equality sections render from stored tables alone, in every language,
with the gate applied (no store, no fitting)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from test_calculate import cba, effects, outcome_row, tables

from polku.equality.compute import SCHEMAS, typed
from polku.reports.blocks import Note, Table
from polku.reports.context import ReportContext
from polku.reports.sections.equality import equality_section
from polku.reports.sections.payments import payments_section

NAMES = {
    "services_names": pd.DataFrame(
        {"service_code": ["COACH"], "name_fi": ["Valmennus"], "name_sv": ["Coachning"], "name_en": ["Coaching"]}
    ),
    "providers_list": pd.DataFrame({"provider_id": ["P", "S"], "name": ["Provider P", "Provider S"]}),
}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_payments_section_shows_each_shipped_model_and_hides_a_small_provider(lang: str) -> None:
    t = tables([outcome_row("P", 200, 60), outcome_row("S", 6, 2)], [], effects([("service", None, 0.1)]), cba(8000.0))
    blocks = payments_section(t | NAMES, ReportContext(lang, 10, datetime(2026, 1, 1, tzinfo=UTC)))
    shown = [b for b in blocks if isinstance(b, Table)]
    assert len(shown) == 4  # the shipped models
    koto = next(b for b in shown if "Koto" in b.caption)
    rows = {r[0]: r for r in koto.rows}
    assert rows["Provider S"][2:5] == ("..", "..", "..")
    assert rows["Provider P"][2] == "200"


def test_sections_without_their_tables_say_so() -> None:
    ctx = ReportContext("en", 10, datetime(2026, 1, 1, tzinfo=UTC))
    assert all(isinstance(b, Note) for b in payments_section({}, ctx))
    assert all(isinstance(b, Note) for b in equality_section({}, ctx))


def test_equality_section_flags_only_beyond_chance() -> None:
    """Two allocation rows: O = 60 against E = 100 with V = 80 (z = -4.47, flagged) and
    O = 102 against E = 100 (z = 0.22, not flagged)."""
    allocation = typed(
        [
            {"attribute": "mother_tongue_group", "level": "sv", "service_code": "COACH", "people": 400, "observed": 60.0}
            | {"expected": 100.0, "variance": 80.0},
            {"attribute": "sex", "level": "female", "service_code": "COACH", "people": 500, "observed": 102.0}
            | {"expected": 100.0, "variance": 80.0},
        ],
        "equality_allocation",
    )
    results = {name: typed([], name) for name in SCHEMAS} | {"equality_allocation": allocation}
    blocks = equality_section(results, ReportContext("en", 10, datetime(2026, 1, 1, tzinfo=UTC)))
    table = next(b for b in blocks if isinstance(b, Table))
    flags = {r[0]: r[-1] for r in table.rows}
    assert flags == {"mother_tongue_group": "differs", "sex": ""}
