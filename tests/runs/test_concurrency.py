"""Readers and writers together (docs/operations.md): while a long-lived reader holds a read
snapshot and the list of runs, as the web server will, an import and an analysis, real
`polku` processes started at the same time, both succeed; the reader then sees the new run
and the new data, and what it held has not changed under it. The control shows why: a
reader that opens the store itself keeps the import out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from runs_sample import persons_csv

from polku.runs import list_runs

READER = """
import json, sys
from polku.runs import list_runs
from polku.store.snapshots import open_snapshot

store = sys.argv[1]
held = open_snapshot(store)
count = lambda s: s.con.execute("SELECT count(*) FROM person").fetchone()[0]
print(json.dumps({"persons": count(held), "runs": [r.run_id for r in list_runs(store)]}), flush=True)
sys.stdin.readline()
with open_snapshot(store) as newest:
    seen = {"held": count(held), "newest": count(newest), "runs": [r.run_id for r in list_runs(store)]}
print(json.dumps(seen), flush=True)
"""
STORE_READER = "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); print('ready', flush=True); input()"
SECONDS = 600


def _polku(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "polku", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=SECONDS)
    return process.returncode, stdout, stderr


@pytest.mark.slow
def test_an_import_and_an_analysis_succeed_while_a_reader_holds_the_store_and_the_reader_sees_the_new_run(
    store_path: Path, tmp_path: Path
) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", READER, str(store_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as reader:
        assert reader.stdout is not None and reader.stdin is not None
        assert json.loads(reader.stdout.readline()) == {"persons": 12, "runs": []}
        more = persons_csv(tmp_path / "more.csv", 40, 3)
        importing = _polku("import", "person", str(more), "--store", str(store_path))
        analysing = _polku("analyse", "--json", "--store", str(store_path))
        (imported, _, import_err), (analysed, analysis, analysis_err) = _finish(importing), _finish(analysing)
        assert imported == 0, import_err
        assert analysed == 0, analysis_err
        run_id = json.loads(analysis)["run_id"]
        reader.stdin.write("look again\n")
        reader.stdin.flush()
        seen = json.loads(reader.stdout.readline())
        assert reader.wait(timeout=SECONDS) == 0
    assert seen == {"held": 12, "newest": 15, "runs": [run_id]}
    assert [run.run_id for run in list_runs(store_path)] == [run_id]


@pytest.mark.slow
def test_control_a_reader_of_the_store_itself_keeps_an_import_out(store_path: Path, tmp_path: Path) -> None:
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            STORE_READER,
            str(store_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        code, _, stderr = _finish(
            _polku("import", "person", str(persons_csv(tmp_path / "m.csv", 40, 1)), "--store", str(store_path))
        )
        holder.kill()
    assert code == 2 and "is locked by" in stderr
    with duckdb.connect(str(store_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM person").fetchone() == (12,)


WRITER = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); input()"


@pytest.mark.slow
def test_an_analysis_and_its_report_run_while_a_writer_holds_the_store(store_path: Path, tmp_path: Path) -> None:
    """As during a long import: the store is locked for writing the whole time."""
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as writer:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        analysed, analysis, analysis_err = _finish(_polku("analyse", "--json", "--store", str(store_path)))
        reported, _, report_err = _finish(_polku("report", "--out", str(tmp_path / "r.html"), "--store", str(store_path)))
        writer.kill()
    assert analysed == 0, analysis_err
    assert reported == 0, report_err
    assert json.loads(analysis)["run_id"] in (tmp_path / "r.html").read_text(encoding="utf-8")
    journal = store_path.with_name("polku.duckdb.audit.jsonl").read_text(encoding="utf-8")
    assert '"analyse"' in journal and '"report"' in journal  # their audit rows wait beside the locked store
