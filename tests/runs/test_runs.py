"""Analysis runs (docs/runs.md): what `analyse` stores, what `list_runs`/`open_run` read back,
the provenance, the atomic and owner-only layout, and bit-identical results for the same
data and seed."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from runs_sample import compute, persons_csv

from polku.errors import UsageError
from polku.identity import load_key
from polku.ingest import import_file
from polku.pipeline.settings import AnalysisContext, AnalysisSettings
from polku.reports import registry
from polku.reports.header import compute_header
from polku.runs import layout, list_runs, open_run, progress, provenance
from polku.runs.record import analyse
from polku.runs.tables import TableError, file_digest, results_digest
from polku.store import audit, open_store
from polku.store.snapshots import open_snapshot

pytestmark = pytest.mark.usefixtures("test_section")

HEADER = ["report_areas", "report_extraction", "report_imports"]
"""The report header's tables, which every run holds (polku.reports.header)."""


def _expected(store_path: Path, seed: int) -> dict[str, pd.DataFrame]:
    """What the report header and the test section compute over the store's snapshot, not stored."""
    with open_snapshot(store_path) as snapshot:
        return compute_header(snapshot) | dict(compute(snapshot, AnalysisContext(AnalysisSettings(seed=seed))))


def test_a_run_stores_every_table_and_reads_each_back_unchanged(store_path: Path) -> None:
    run = analyse(store_path, AnalysisSettings(seed=3))
    expected = _expected(store_path, 3)
    assert sorted(run.tables) == sorted(expected) == ["impact_effects", *HEADER, "runs_test_counts", "runs_test_empty"]
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(run.tables[name], frame, check_dtype=True)
    assert run.tables["runs_test_counts"].loc[0, "value"] == 12.0


def test_the_run_is_an_owner_only_read_only_folder_named_by_a_sortable_unique_id(store_path: Path) -> None:
    run = analyse(store_path)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{6}Z-[0-9a-f]{8}", run.run_id)
    assert run.folder == store_path.with_name("polku.duckdb.runs") / run.run_id
    assert run.folder.parent.stat().st_mode & 0o777 == 0o700
    modes = {p.relative_to(run.folder).as_posix(): p.stat().st_mode & 0o777 for p in run.folder.rglob("*")}
    assert modes == {
        "run.json": 0o400,
        "tables": 0o500,
        **{f"tables/{name}.parquet": 0o400 for name in HEADER},
        "tables/impact_effects.parquet": 0o400,
        "tables/runs_test_counts.parquet": 0o400,
        "tables/runs_test_empty.parquet": 0o400,
    }
    assert run.folder.stat().st_mode & 0o777 == 0o500
    beside = sorted(p.name for p in run.folder.parent.iterdir())
    assert beside == [progress.FOLDER, run.run_id]  # no partial folder left; the progress files apart


def test_provenance_names_the_imports_parameters_code_settings_times_and_user(store_path: Path, tmp_path: Path) -> None:
    run = analyse(store_path, AnalysisSettings(seed=5))
    p = json.loads((run.folder / "run.json").read_text(encoding="utf-8"))
    assert p == dict(run.provenance)
    sha = hashlib.sha256((tmp_path / "person.csv").read_bytes()).hexdigest()
    assert p["imports"] == [
        {"import_id": 1, "table": "person", "source": "person.csv", "sha256": sha, "status": "imported", "rows_accepted": 12}
    ]
    assert p["parameters"] == provenance.parameters_digest() and p["parameters"]["files"] > 50
    assert p["polku_version"] == __import__("polku").__version__
    assert p["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", p["git_commit"])
    assert p["seed"] == 5 and p["settings"] == AnalysisSettings(seed=5).to_dict()
    assert p["started_at"] <= p["finished_at"] and p["user"] == audit.os_user()
    assert p["store"] == str(store_path) and p["snapshot"]["name"] == "00000001.duckdb"
    tables = {e["name"]: e for e in p["tables"]}
    assert tables["runs_test_counts"]["rows"] == 3 and tables["runs_test_counts"]["columns"][0] == "label"
    for name, entry in tables.items():
        assert entry["sha256"] == file_digest(run.folder / "tables" / f"{name}.parquet")
    assert p["results_sha256"] == results_digest(p["tables"])


def test_same_data_and_seed_give_identical_runs_and_other_data_or_seed_do_not(store_path: Path, tmp_path: Path) -> None:
    first, second = analyse(store_path, AnalysisSettings(seed=3)), analyse(store_path, AnalysisSettings(seed=3))
    assert first.run_id != second.run_id
    assert first.provenance["results_sha256"] == second.provenance["results_sha256"]
    for name in first.tables:
        a, b = (run.folder / "tables" / f"{name}.parquet" for run in (first, second))
        assert a.read_bytes() == b.read_bytes()
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name])
    assert analyse(store_path, AnalysisSettings(seed=4)).provenance["results_sha256"] != first.provenance["results_sha256"]
    with open_store(store_path) as store:
        import_file(store, "person", persons_csv(tmp_path / "more.csv", 20, 3), key=load_key())
    grown = analyse(store_path, AnalysisSettings(seed=3))
    assert grown.tables["runs_test_counts"].loc[0, "value"] == 15.0
    assert grown.provenance["results_sha256"] != first.provenance["results_sha256"]
    assert [(i["import_id"], i["source"]) for i in grown.provenance["imports"]] == [(2, "more.csv"), (1, "person.csv")]


def test_runs_are_listed_in_the_order_they_finished_and_opened_by_id_or_latest(store_path: Path) -> None:
    made = [analyse(store_path, AnalysisSettings(seed=s)).run_id for s in (1, 2, 3)]
    listed = [run.run_id for run in list_runs(store_path)]
    assert sorted(listed) == sorted(made) and listed[-1] == made[-1]
    assert open_run(store_path).run_id == made[-1] == open_run(store_path, "latest").run_id
    assert open_run(store_path, made[0]).provenance["seed"] == 1
    summary = open_run(store_path, made[1]).summary()
    assert summary["run_id"] == made[1] and summary["seed"] == 2 and summary["tables"] == 3 + len(HEADER)


@pytest.mark.parametrize("ref", ["2099-01-01T000000Z-00000000", "../polku.duckdb", "nonsense"])
def test_an_unknown_run_is_a_one_line_usage_error(store_path: Path, ref: str) -> None:
    analyse(store_path)
    with pytest.raises(UsageError) as error:
        open_run(store_path, ref)
    assert error.value.render().count("\n") == 0 and f"no analysis run {ref!r}" in error.value.render()
    assert "polku runs --store" in error.value.render()


def test_no_run_yet_says_to_run_analyse(store_path: Path) -> None:
    assert list_runs(store_path) == []
    with pytest.raises(UsageError) as error:
        open_run(store_path)
    assert error.value.render() == f"no analysis run yet: run `polku analyse --store {store_path}`"


def test_a_partial_or_incomplete_run_folder_is_never_listed(store_path: Path) -> None:
    run = analyse(store_path)
    runs = run.folder.parent
    shutil.copytree(run.folder, runs / f".partial-{run.run_id[:-1]}0")
    (runs / "2099-01-01T000000Z-0000abcd").mkdir()  # named as a run, but no run.json
    assert [r.run_id for r in list_runs(store_path)] == [run.run_id]


def test_a_table_that_cannot_be_stored_leaves_no_run(store_path: Path) -> None:
    registry.register(
        "runs_broken", "report.title", 1000, compute=lambda store, analysis: {"runs_bad": pd.DataFrame({"x": [{"a": 1}]})}
    )(lambda results, ctx: [])
    with pytest.raises(TableError, match="runs_bad"):
        analyse(store_path)
    runs = layout.folder_of(store_path)
    assert [p.name for p in runs.iterdir()] == [progress.FOLDER] and list_runs(store_path) == []


def test_tables_are_read_when_asked_and_a_changed_frame_does_not_change_the_run(store_path: Path) -> None:
    run = open_run(store_path, analyse(store_path).run_id)
    assert run.tables._read == {}
    frame = run.tables["runs_test_counts"]
    frame.loc[0, "value"] = -1.0
    assert run.tables["runs_test_counts"].loc[0, "value"] == 12.0 and list(run.tables._read) == ["runs_test_counts"]
    with pytest.raises(KeyError):
        run.tables["runs_absent"]


def test_the_parameters_digest_changes_with_any_parameter_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "polku"
    shutil.copytree(provenance.PACKAGE / "fiscal" / "parameters", package / "fiscal" / "parameters")
    (package / "cba").mkdir()
    shutil.copy(provenance.PACKAGE / "cba" / "assumptions.yaml", package / "cba" / "assumptions.yaml")
    monkeypatch.setattr(provenance, "PACKAGE", package)
    monkeypatch.setattr(provenance, "PARAMETER_ROOTS", (package / "fiscal" / "parameters",))
    monkeypatch.setattr(provenance, "PARAMETER_FILES", (package / "cba" / "assumptions.yaml",))
    before = provenance.parameters_digest()
    assert before["files"] == len(list((package / "fiscal" / "parameters").rglob("*.yaml"))) + 1
    assumptions = package / "cba" / "assumptions.yaml"
    assumptions.write_text(assumptions.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert provenance.parameters_digest()["sha256"] != before["sha256"]


def test_no_git_commit_outside_a_checkout_of_polku(tmp_path: Path) -> None:
    (tmp_path / "src" / "polku").mkdir(parents=True)
    assert provenance.git_commit(tmp_path / "src" / "polku") is None
    assert provenance.git_dirty(tmp_path / "src" / "polku") is None


def test_a_changed_checkout_is_flagged_dirty(tmp_path: Path) -> None:
    """A run made from uncommitted code says so: its commit alone would not name the code."""
    package = tmp_path / "src" / "polku"
    package.mkdir(parents=True)
    (package / "a.py").write_text("x = 1\n")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    assert provenance.git_dirty(package) is False
    (package / "a.py").write_text("x = 2\n")
    assert provenance.git_dirty(package) is True


def test_a_run_id_never_has_the_shape_of_an_identity_code() -> None:
    """Else the one redaction rule would hide it in every message and audit row."""
    import datetime as dt

    from polku.redaction import has_hetu

    moments = [dt.datetime(2026, 12, 7, 1, 23, 45, tzinfo=dt.UTC) + dt.timedelta(seconds=7919 * i) for i in range(2000)]
    ids = [layout.new_run_id(moment) for moment in moments]
    assert [i for i in ids if has_hetu(i) or not layout.RUN_ID.match(i)] == []
    assert ids == sorted(ids)
