"""The disclosure property over every output channel: for random small areas and random
thresholds, no shown figure and no sum or difference of shown figures within a table
reveals a count from 1 to T-1.

Channels: every table of the HTML report (all sections, the impact and cost-benefit ones
included), and the JSON of `polku estimate`, `polku cba` and `polku status`, each built
from the same results the commands print. Areas of 12, 30, 100 and 200 clients are built
and analysed once; hypothesis draws the area and the threshold (3-20), and, for the
records, hand-made services with random client groups and providers. Bounded to about 40 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from disclosure_checks import all_tables, cba_problems, estimate_problems, status_problems, table_problems
from gate_areas import SIZES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polku import sdc
from polku.pipeline.settings import AnalysisContext
from polku.pipeline.store_views import store_views
from polku.quality import summarise
from polku.reports.compute import ReportStore, compute_sections
from polku.reports.context import ReportContext
from polku.reports.render import render_sections
from polku.reports.sections.cost_benefit import _analyse
from polku.reports.sections.impact import OUTCOME
from polku.store import open_store


@dataclass
class Area:
    store: ReportStore
    views: list[Any]
    estimates: list[dict[str, Any]]
    cost_benefit: list[dict[str, Any]]
    status: dict[str, Any]
    results: dict[str, Any]


@pytest.fixture(scope="module")
def areas(small_areas: dict[int, Path]) -> Iterator[dict[int, Area]]:
    """Each area opened and analysed once: the impact views the report shows and the raw
    records of `estimate`, `cba` and `status`."""
    built, stores = {}, []
    for n in SIZES:
        store = open_store(small_areas[n], read_only=True)
        stores.append(store)
        report_store = ReportStore(store.path, store.con)
        views = store_views(report_store, outcome=OUTCOME)
        built[n] = Area(
            report_store,
            views,
            [row.to_dict() for v in views for row in v.rows],
            [_analyse(report_store, v).to_dict() for v in views],
            summarise(report_store).to_dict(),
            compute_sections(report_store, AnalysisContext(computed={"impact_views": views})),
        )
    yield built
    for store in stores:
        store.close()


def _report_tables(area: Area, t: int) -> list[Any]:
    ctx = ReportContext("en", t, datetime(2026, 1, 1, tzinfo=UTC))
    return [table for section in render_sections(area.results, ctx) for table in all_tables(section.blocks)]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.sampled_from(SIZES), t=st.integers(3, 20))
def test_no_report_table_reveals_a_small_count(areas: dict[int, Area], size: int, t: int) -> None:
    tables = _report_tables(areas[size], t)
    assert len(tables) >= 15
    assert [p for table in tables for p in table_problems(table, t)] == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.sampled_from(SIZES), t=st.integers(3, 20))
def test_no_json_output_reveals_a_small_count(areas: dict[int, Area], size: int, t: int) -> None:
    area = areas[size]
    assert estimate_problems(sdc.release_estimates(area.estimates, t=t), t) == []
    assert cba_problems([sdc.release_cost_benefit(r, t=t) for r in area.cost_benefit], t) == []
    assert status_problems(sdc.release_status(area.status, t=t), t) == []


def _record(level: str, code: str, n: int, group: str | None = None, provider: str | None = None) -> dict[str, Any]:
    return {
        "level": level,
        "service_code": code,
        "client_group": group,
        "provider_id": provider,
        "n_treated": n,
        "n_control": 5 * n,
        "n_trimmed": n // 7,
        "estimate": 0.1 if n >= 60 else None,
        "note": f"estimated on {n} of {n + 3}",
        "balance": [],
        "overlap": None,
    }


services = st.lists(
    st.lists(st.sampled_from([0, 1, 2, 3, 4, 7, 9, 12, 15, 40, 70]), min_size=1, max_size=4), min_size=1, max_size=3
)


@settings(max_examples=60, deadline=None)
@given(services=services, providers=st.lists(st.integers(0, 30), min_size=0, max_size=4), t=st.integers(3, 20))
def test_hand_made_estimate_records_never_reveal_a_small_count(services: list[list[int]], providers: list[int], t: int) -> None:
    """Services whose client groups add up to them, and providers that cover part of them."""
    records = []
    for k, groups in enumerate(services):
        code = f"S{k}"
        records.append(_record("service", code, sum(groups)))
        records += [_record("service_group", code, n, group=f"g{j}") for j, n in enumerate(groups)]
        covered = [
            n for j, n in enumerate(providers) if sum(providers[: j + 1]) <= sum(groups)
        ]  # a provider per participant, or none
        records += [_record("service_provider", code, n, provider=f"p{j}") for j, n in enumerate(covered)]
    released = sdc.release_estimates(records, t=t)
    assert estimate_problems(released, t) == []
    for before, after in zip(records, released):
        assert after["n_treated"] in (None, before["n_treated"])
        if after["n_treated"] is None:  # the comparison people would give the participants back
            assert after["n_control"] is None
        if before["n_treated"] < t:
            assert after["estimate"] is None
