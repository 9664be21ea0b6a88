"""The descriptive sections on the compute/render seam: the same blocks as when they read
the store, tables that survive Parquet, rendering without a store, and deterministic
computation.

The recorded blocks (`golden/section_blocks.json`, see section_blocks.py) were produced by
the sections while they still read the store while rendering.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from section_blocks import CASES, GOLDEN, SECTIONS, as_data, build_synthetic, context

from polku.errors import PolkuError, UsageError
from polku.i18n import LANGUAGES, t
from polku.pipeline.settings import AnalysisContext
from polku.reports import compute, render
from polku.reports.context import RunHeader
from polku.reports.formats import write_report_as
from polku.reports.registry import sections
from polku.store import Store, open_store

RUN = RunHeader("run-20260107-0930-ab12", datetime(2026, 1, 7, 9, 31, tzinfo=UTC), 42, None, "0.1.0")


@pytest.fixture(scope="module")
def stores(filled_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Store]]:
    """The hand-made, the empty and the synthetic store, as the recorded blocks name them."""
    empty = open_store(tmp_path_factory.mktemp("empty") / "empty.duckdb")
    synthetic = open_store(build_synthetic(tmp_path_factory.mktemp("synthetic")), read_only=True)
    yield {"filled": filled_store, "empty": empty, "synthetic": synthetic}
    empty.close()
    synthetic.close()


@pytest.fixture(scope="module")
def results(stores: dict[str, Store]) -> dict[str, dict[str, pd.DataFrame]]:
    """Every store's run tables, computed once."""
    return {name: compute.compute_sections(store, AnalysisContext()) for name, store in stores.items()}


@pytest.fixture()
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report's generation time fixed, so two renderings can be compared byte for byte."""

    class Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Clock:
            return cls(2026, 1, 8, 12, 0, tzinfo=UTC)

    monkeypatch.setattr(render, "datetime", Clock)


def test_every_descriptive_section_computes() -> None:
    by_id = {s.id: s for s in sections()}
    assert set(SECTIONS) <= set(by_id) and all(callable(by_id[s].compute) for s in SECTIONS)


@pytest.mark.parametrize("section", SECTIONS)
def test_render_of_the_computed_tables_gives_the_recorded_blocks(results: dict, section: str) -> None:
    """The blocks the section showed when it read the store, on every recorded store and language."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    by_id = {s.id: s for s in sections()}
    for store, lang in CASES:
        blocks = by_id[section].render(results[store], context(lang))
        assert as_data(blocks) == golden[store][lang][section], (store, lang)


class Recording(Mapping[str, pd.DataFrame]):
    """The run's tables, remembering which ones were read."""

    def __init__(self, tables: Mapping[str, pd.DataFrame]) -> None:
        self.tables = tables
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> pd.DataFrame:
        self.read.add(name)
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


def test_each_section_reads_its_own_tables_and_the_named_shared_ones(stores: dict[str, Store], results: dict) -> None:
    shared = {"services": {"providers_list"}, "quality": {"report_imports"}}
    for section in (s for s in sections() if s.id in SECTIONS):
        assert section.compute is not None
        own = set(section.compute(stores["synthetic"], AnalysisContext()))
        assert all(name.startswith(f"{section.id}_") for name in own), own
        recording = Recording(results["synthetic"])
        section.render(recording, context("en"))
        assert recording.read == own | shared.get(section.id, set()), section.id


def _write_parquet(tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    for name, frame in tables.items():
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"{name}.parquet")


def _read_parquet(folder: Path) -> dict[str, pd.DataFrame]:
    return {path.stem: pq.read_table(path).to_pandas() for path in sorted(folder.glob("*.parquet"))}


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("store", ["filled", "empty", "synthetic"])
def test_tables_round_trip_through_parquet(results: dict, store: str, tmp_path: Path) -> None:
    """Written with pyarrow and read back: the same tables, and the same HTML to the byte."""
    _write_parquet(results[store], tmp_path)
    back = _read_parquet(tmp_path)
    assert sorted(back) == sorted(results[store])
    for name, frame in results[store].items():
        pd.testing.assert_frame_equal(back[name], frame, check_exact=True, obj=name)
    for lang in LANGUAGES:
        assert render.render_html(back, lang, RUN) == render.render_html(results[store], lang, RUN)


def test_tables_are_plain_columns(results: dict) -> None:
    """Text, whole numbers (nullable too), floats, truth values and dates only: nothing Parquet would turn into something else."""
    for name, frame in results["synthetic"].items():
        assert isinstance(frame.index, pd.RangeIndex) and frame.columns.nlevels == 1, name
        for column in frame.columns:
            assert str(frame[column].dtype) in ("object", "int64", "Int64", "float64", "bool", "boolean"), (name, column)
            if frame[column].dtype == object:
                assert all(v is None or type(v).__name__ in ("str", "date") for v in frame[column]), (name, column)


def test_render_never_touches_the_store(results: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every way into a store made to fail, the report still renders from its tables."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the report read the store while rendering")

    for cls in (Store, compute.ReportStore):
        monkeypatch.setattr(cls, "table", refuse)
        monkeypatch.setattr(cls, "ibis", property(refuse))
    monkeypatch.setattr("polku.store.open_store", refuse)
    monkeypatch.setattr("duckdb.connect", refuse)
    html = render.render_html(results["synthetic"], "fi", RUN)
    assert '<section id="quality">' in html and "tietoraportti" in html


def test_compute_is_deterministic(stores: dict[str, Store], results: dict) -> None:
    again = compute.compute_sections(stores["synthetic"], AnalysisContext())
    assert list(again) == list(results["synthetic"])
    for name, frame in again.items():
        pd.testing.assert_frame_equal(frame, results["synthetic"][name], check_exact=True, obj=name)


def test_header_tables_name_the_areas_date_and_imports(results: dict) -> None:
    filled, synthetic = results["filled"], results["synthetic"]
    assert filled["report_areas"]["area_id"].tolist() == ["Lapin työllisyysalue"]
    assert filled["report_extraction"]["extraction_date"].tolist() == [pd.Timestamp("2024-10-01").date()]
    assert results["empty"]["report_extraction"].empty and results["empty"]["report_imports"].empty
    imports = synthetic["report_imports"]
    assert len(imports) == 13 and imports["sha256"].str.fullmatch("[0-9a-f]{64}").all()
    assert list(imports.sort_values(["table", "source"])["import_id"]) == list(imports["import_id"])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_report_names_its_run(results: dict, lang: str) -> None:
    html = render.render_html(results["synthetic"], lang, RUN)
    run = re.search(r'<div id="run"><dt>(.*?)</dt><dd>(.*?)</dd></div>', html)
    assert run and run.group(1) == t("report.run", lang)
    assert all(part in run.group(2) for part in (RUN.run_id, "2026-01-07 09:31", "42", "Polku 0.1.0"))
    footer = re.search(r"<footer>(.*?)</footer>", html, re.S)
    assert footer and RUN.run_id in footer.group(1)
    assert 'id="run"' not in render.render_html(results["synthetic"], lang)


def test_the_header_comes_from_the_run(results: dict) -> None:
    html = render.render_html(results["synthetic"], "en", RUN)
    imports = results["synthetic"]["report_imports"]
    provenance = re.search(r'<table id="provenance">(.*?)</table>', html, re.S)
    assert provenance and provenance.group(1).count("<tr>") == len(imports) + 1
    assert all(sha[:12] in provenance.group(1) for sha in imports["sha256"])
    date = results["synthetic"]["report_extraction"]["extraction_date"].iloc[0]
    assert f"<dd>{date.isoformat()}</dd>" in html


def test_a_run_without_a_table_gets_a_clear_error(results: dict) -> None:
    tables = {k: v for k, v in results["filled"].items() if k != "clients_sex"}
    clients = next(s for s in sections() if s.id == "clients")
    with pytest.raises(PolkuError, match="(?s)no table 'clients_sex'.*polku analyse"):
        clients.render(tables, context("en"))


def test_a_run_report_is_written_without_a_store(results: dict, tmp_path: Path) -> None:
    path = write_report_as("html", results["filled"], tmp_path / "run.html", lang="fi", run=RUN)
    html = path.read_text(encoding="utf-8")
    assert RUN.run_id in html and '<section id="clients">' in html
    with pytest.raises(UsageError, match="de"):
        write_report_as("html", results["filled"], tmp_path / "x.html", lang="de")
