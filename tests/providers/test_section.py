"""The report section renders the providers' run tables alone, in every language, through the gate.

Hand-made tables (no store, no fit): a service with three providers, the middle one too
small to show; the comparison table keeps the order of provider ids, the small provider's
row is withheld with its partner, the funnel chart is drawn, and the monitor flags a
parking provider in words.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from polku.providers import compare, monitors
from polku.reports.blocks import Chart, Table
from polku.reports.context import ReportContext
from polku.reports.sections.providers import providers_section
from polku.typed import typed_frame


def results() -> dict[str, pd.DataFrame]:
    per = pd.DataFrame(
        {
            "service_code": "COACH",
            "provider_id": ["A", "B", "C"],
            "participants": [120, 6, 80],
            "observed": [60.0, 3.0, 30.0],
            "expected": [50.0, 2.5, 40.0],
        }
    )
    comparison = typed_frame(compare.rate_providers(per), compare.COMPARISON)
    monitor = typed_frame(
        [
            {
                "service_code": "COACH",
                "provider_id": p,
                "participants": n,
                "never_served": never,
                "low_participants": 40,
                "low_never_served": never,
                "parking_share": never / n,
                "parking_share_low": never / 40,
                "others_parking_share_low": 0.0,
                "parking_flag": never > 0,
                "referred": n,
                "refused": 0,
                "refused_share": 0.0,
                "others_refused_share": 0.0,
                "mean_expected": 0.4,
                "service_mean_expected": 0.4,
                "creaming_flag": False,
            }
            for p, n, never in (("A", 120, 0), ("C", 80, 30))
        ],
        monitors.MONITOR,
    )
    deciles = typed_frame(
        [{"service_code": "COACH", "provider_id": "A", "decile": 1, "participants": 12, "observed": 3.0, "expected": 2.0,
          "served": 12, "actions": 36, "median_days_to_first_action": 4.0}],
        monitors.DECILES,
    )  # fmt: skip
    trends = typed_frame(
        [{"service_code": "COACH", "provider_id": "A", "period": "2023", "participants": 120, "observed": 60.0, "expected": 50.0,
          "never_served": 0}],
        monitors.TRENDS,
    )  # fmt: skip
    return {
        "providers_list": pd.DataFrame(
            {
                "provider_id": ["A", "B", "C"],
                "name": ["Alpha", "Beta", "Gamma"],
                "provider_type": "private",
                "episodes": [130, 8, 90],
                "clients": [125, 7, 85],
            }
        ),  # fmt: skip
        "services_names": pd.DataFrame(
            {"service_code": ["COACH"], "name_fi": ["Valmennus"], "name_sv": ["Coachning"], "name_en": ["Coaching"]}
        ),
        "providers_comparison": comparison,
        "providers_monitor": monitor,
        "providers_deciles": deciles,
        "providers_trends": trends,
    }


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_section_shows_funnel_comparison_and_monitors(lang: str) -> None:
    blocks = providers_section(results(), ReportContext(lang, 10, dt.datetime(2026, 1, 1)))
    tables = {b.id: b for b in blocks if isinstance(b, Table)}
    assert {"providers", "providers-comparison", "providers-monitor", "providers-trends"} <= set(tables)
    assert any(isinstance(b, Chart) and "<svg" in b.svg for b in blocks)
    rows = tables["providers-comparison"].rows
    assert [r[0].split(": ")[1] for r in rows] == ["Alpha", "Beta", "Gamma"]  # id order, never ranked
    assert rows[1][2] == ".." and rows[1][6] == "–"  # B (6 clients) withheld: no O, no rating
    assert tables["providers-comparison"].note and "10" in tables["providers-comparison"].note


def test_monitor_flags_in_words() -> None:
    blocks = providers_section(results(), ReportContext("en", 10, dt.datetime(2026, 1, 1)))
    monitor = next(b for b in blocks if isinstance(b, Table) and b.id == "providers-monitor")
    flags = {row[0]: row[-1] for row in monitor.rows}
    assert flags == {"Coaching: Alpha": "–", "Coaching: Gamma": "parking"}
    assert monitor.rows[1][2] == "75.0"  # 30 of 40 in the lowest deciles never served
