"""The area section's figures on hand-made spells, each answer worked out by hand in the comments.

The data's date is 2026-03-31. Definitions: docs/web.md ("The area at a glance") and the
module docstring of `polku.reports.sections.area`.
"""

from __future__ import annotations

import pandas as pd
import pytest

from polku import sdc
from polku.reports.context import ReportContext
from polku.reports.render import make_context
from polku.reports.sections import area

DAY = pd.Timestamp("2026-03-31")


def _spells() -> pd.DataFrame:
    """Four registration spells of three people."""
    return pd.DataFrame(
        {
            "spell_id": ["s1", "s2", "s3", "s4"],
            "person_id": ["a", "b", "c", "a"],
            "start_date": pd.to_datetime(["2025-01-01", "2025-10-01", "2025-12-15", "2023-06-01"]),
            "end_date": pd.to_datetime([None, None, "2026-02-14", "2024-01-01"]),
            "current_spell_months": [0, 7, 0, 0],
        }
    )


def _jobs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": ["a", "c", "b"],
            "start_date": pd.to_datetime(["2025-02-15", "2026-02-15", "2025-11-01"]),
            "subsidised": [False, False, True],
        }
    )


def test_key_figures() -> None:
    """Open on 31.3.2026: s1 (455 days) and s2 (181 days + 7 months = 394 days): both long-term.
    Begun in the last 365 days: s2, s3; ended: s3 only."""
    persons = pd.DataFrame({"person_id": ["a", "b", "c"], "municipality_code": ["698", "698", "320"]})
    figures = area._figures(persons, _spells(), DAY)
    assert figures == {"clients": 3, "spells": 4, "open_spells": 2, "long_term": 2, "inflow_12m": 2, "outflow_12m": 1}


def test_duration_of_ended_spells() -> None:
    """s3: 15.12.2025-14.2.2026 = 61 days; s4: 1.6.2023-1.1.2024 = 214 days."""
    frame = area._duration(_spells(), DAY)
    assert frame.to_dict("records") == [{"closed": 2, "days_total": 275.0}]


def test_transitions_to_open_market_work() -> None:
    """3 months: all four spells are followed that long (s3 from 15.12.2025 to 15.3.2026); s1 (a's
    job 15.2.2025, 45 days in) and s3 (c's job 15.2.2026) transit, s2 does not (b's job is
    subsidised), nor s4 (a's job comes 20 months later). 6 months: s2 (to 1.4.2026) and s3 are not
    followed that long; of s1 and s4 only s1 transits. 12 months: s1 and s4 again."""
    frame = area._transitions(_spells(), _jobs(), DAY)
    assert frame.to_dict("records") == [
        {"horizon_months": 3, "spells": 4, "transitions": 2},
        {"horizon_months": 6, "spells": 2, "transitions": 1},
        {"horizon_months": 12, "spells": 2, "transitions": 1},
    ]


def test_coefficients_as_seed_000_defines_them() -> None:
    """COACH: a (first start 1.1.2025; job 15.2.2025) and b (1.10.2025; subsidised job 1.11.2025,
    employment all the same): 2 clients, 2 employed, 2 contracts. TRAIN: c (1.3.2026; job 15.2.2026
    is before): 1 client, none employed. All services: 3 clients, 2 employed, 2 contracts."""
    episodes = pd.DataFrame(
        {
            "person_id": ["a", "a", "b", "c"],
            "service_code": ["COACH", "COACH", "COACH", "TRAIN"],
            "start_date": pd.to_datetime(["2025-01-01", "2025-06-01", "2025-10-01", "2026-03-01"]),
        }
    )
    frame = area._coefficients(episodes, _jobs(), DAY)
    assert frame.to_dict("records") == [
        {"service_code": "_all", "clients": 3, "employed": 2, "contracts": 2},
        {"service_code": "COACH", "clients": 2, "employed": 2, "contracts": 2},
        {"service_code": "TRAIN", "clients": 1, "employed": 0, "contracts": 0},
    ]


def test_months_count_begun_ended_and_open() -> None:
    frame = area._months(_spells(), DAY).set_index("month")
    assert len(frame) == area.MONTHS_SHOWN and frame.index[-1] == "2026-03"
    assert frame.loc["2025-12"].to_dict() == {"inflow": 1, "outflow": 0, "open_at_end": 3}
    assert frame.loc["2026-02"].to_dict() == {"inflow": 0, "outflow": 1, "open_at_end": 2}


def _context(threshold: int) -> ReportContext:
    ctx = make_context({"report_extraction": pd.DataFrame({"extraction_date": [DAY.date()]})}, "en")
    return ReportContext(ctx.lang, threshold, ctx.generated_at)


@pytest.mark.parametrize("threshold", [3, 10])
def test_coefficient_table_through_the_gate(threshold: int) -> None:
    """40 clients, 22 employed, 30 contracts: coefficients 22/40 = 0.55 and 30/40 = 0.75; a service
    of 4 clients, 2 employed is hidden as the gate says."""
    results = {
        "area_coefficients": pd.DataFrame(
            {"service_code": ["_all", "COACH"], "clients": [40, 4], "employed": [22, 2], "contracts": [30, 3]}
        ),
        "services_names": pd.DataFrame({"service_code": ["COACH"], "name_fi": ["x"], "name_sv": ["x"], "name_en": ["Coaching"]}),
    }
    table = area._coefficient_table(results, _context(threshold))
    assert table.rows[0] == ("All services", "40", "22", "0.55", "0.75")
    small = sdc.separate_counts({"clients": 4, "employed": 2}, t=threshold)[0]
    assert table.rows[1][1:3] == tuple(sdc.show(small[k]) for k in ("clients", "employed"))
    assert (table.rows[1][3] == sdc.MARKER) == (sdc.share(2, 4, t=threshold).value is None)
    assert table.rows[1][4] == (sdc.MARKER if threshold > 4 else "0.75")
