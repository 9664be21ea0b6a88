"""The main job end to end on a small synthetic area: generate -> import -> report.

The generator lists every deliberate recording mistake it wrote (`ground_truth_flaws.csv`);
the importer must quarantine exactly those lines and accept everything else, so this test
checks the whole chain against a known answer rather than against itself.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from polku.demo import DemoResult, run_demo
from polku.store import open_store

CLIENTS = 1500


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    mp = pytest.MonkeyPatch()
    mp.delenv("POLKU_PSEUDONYM_KEY", raising=False)
    try:
        return run_demo(tmp_path_factory.mktemp("demo") / "out", clients=CLIENTS, seed=7)
    finally:
        mp.undo()


def _flawed_lines(data_dir: Path) -> set[tuple[str, int]]:
    with open(data_dir / "ground_truth_flaws.csv", encoding="utf-8", newline="") as handle:
        return {(row["file"], int(row["line"])) for row in csv.DictReader(handle)}


def test_demo_writes_report_store_key_and_files(demo: DemoResult) -> None:
    assert demo.report_path.is_file() and demo.report_path.stat().st_size > 10_000
    assert demo.store_path.is_file()
    assert demo.key_path is not None and (demo.key_path.stat().st_mode & 0o777) == 0o600
    assert not demo.key_path.is_relative_to(demo.store_path.parent), "the key must live outside the store's folder"
    assert (demo.data_dir / "ground_truth_effects.csv").is_file()


def test_demo_analyses_into_a_run_and_renders_the_report_from_it(demo: DemoResult) -> None:
    from polku.runs import list_runs

    (run,) = list_runs(demo.store_path)
    assert run.run_id == demo.run_id and run.provenance["seed"] == 0
    assert demo.run_id in demo.report_path.read_text(encoding="utf-8")
    assert set(demo.seconds) == {"generate", "import", "analyse", "report"}


def test_demo_quarantines_exactly_the_generated_recording_mistakes(demo: DemoResult) -> None:
    flawed = _flawed_lines(demo.data_dir)
    assert flawed, "the generator should write some recording mistakes by default"
    with open_store(demo.store_path, read_only=True) as store:
        quarantined = set(
            store.con.execute("SELECT DISTINCT regexp_extract(file_path, '[^/]+$'), line FROM quarantine").fetchall()
        )
    assert quarantined == flawed
    assert demo.rows_quarantined == len(flawed)


def test_every_import_keeps_every_row(demo: DemoResult) -> None:
    for report in demo.imports:
        assert report.rows_read == report.rows_accepted + report.rows_quarantined
    with open_store(demo.store_path, read_only=True) as store:
        persons = store.con.execute("SELECT count(*) FROM person").fetchone()[0]
    assert persons == CLIENTS


def test_no_raw_identity_code_reaches_the_store(demo: DemoResult) -> None:
    with open(demo.data_dir / "person.csv", encoding="utf-8", newline="") as handle:
        codes = [row["hetu"] for _, row in zip(range(50), csv.DictReader(handle))]
    with open_store(demo.store_path, read_only=True) as store:
        tables = [r[0] for r in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        for table in tables:
            dump = str(store.con.execute(f"SELECT * FROM {table}").fetchall())
            assert not any(code in dump for code in codes), table


def test_same_seed_reimport_changes_nothing(demo: DemoResult) -> None:
    from polku.identity import load_key
    from polku.ingest import import_folder

    with open_store(demo.store_path) as store:
        before = store.con.execute("SELECT count(*), sum(hash(person_id)) FROM person").fetchone()
        reports = import_folder(store, demo.data_dir, key=load_key(key_file=demo.key_path))
        after = store.con.execute("SELECT count(*), sum(hash(person_id)) FROM person").fetchone()
    assert before == after
    assert {r.status for r in reports} == {"unchanged"}


def test_the_summary_says_whether_a_rerun_changed_anything(demo: DemoResult) -> None:
    from dataclasses import replace

    assert "rows imported" in demo.render(1.0)
    rerun = replace(demo, imports=tuple(replace(r, status="unchanged") for r in demo.imports))
    assert "unchanged since the last run" in rerun.render(1.0)


def test_the_summary_of_a_serving_demo_gives_the_address_the_logins_and_the_banner(demo: DemoResult) -> None:
    text = demo.render(1.0, serving_at="http://127.0.0.1:8000/", lang="en")
    assert "http://127.0.0.1:8000/ until Ctrl-C" in text
    assert "admin, analyst, manager, teamlead, caseworker, provider" in text and "polku-demo" in text
    assert "synthetic data only" in text
    assert "until Ctrl-C" not in demo.render(1.0)


def test_polku_demo_serves_unless_told_not_to() -> None:
    from polku.cli import main

    (serve,) = [p for p in main.commands["demo"].params if p.name == "serve"]
    assert serve.default is True and "--no-serve" in serve.secondary_opts
