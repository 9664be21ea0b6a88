"""An analysis's progress file (`polku.runs.progress`): written by the analysing process
after each section and at its end, read by any other process (the web's workers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from polku.errors import UsageError
from polku.reports import registry
from polku.runs import layout, progress
from polku.runs.record import analyse

pytestmark = pytest.mark.usefixtures("test_section")

CODE = "010594Y9032"  # DVV's test range: nobody's code


def _register(name: str, compute: Any) -> None:
    registry.register(name, "report.title", 1000, compute=compute)(lambda results, ctx: [])


def test_an_analysis_reports_each_section_and_its_end(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(progress.STARTED_BY, "analyst")
    seen: list[progress.Progress | None] = []

    def probe(store: Any, analysis: Any) -> dict[str, pd.DataFrame]:
        seen.append(progress.latest(store_path))
        return {}

    _register("runs_probe", probe)
    run = analyse(store_path)
    during = seen[0]
    assert during is not None
    assert (during.state, during.done, during.total, during.current) == ("running", 1, 2, "runs_test")
    assert (during.pid, during.started_by, during.to_dict()["run_id"]) == (os.getpid(), "analyst", None)
    assert progress.running(store_path) is None
    ended = progress.latest(store_path)
    assert ended is not None
    assert (ended.state, ended.done, ended.total, ended.current, ended.run_id) == ("done", 2, 2, "runs_probe", run.run_id)
    assert ended.to_dict()["run_id"] == run.run_id and ended.finished_at is not None


def test_a_failed_analysis_says_why_in_one_line_without_identity_codes(store_path: Path) -> None:
    def failing(store: Any, analysis: Any) -> dict[str, pd.DataFrame]:
        raise UsageError(f"a value {CODE} that cannot be read\nsecond line", fix="none")

    _register("runs_failing", failing)
    with pytest.raises(UsageError):
        analyse(store_path)
    ended = progress.latest(store_path)
    assert ended is not None and (ended.state, ended.done, ended.total) == ("failed", 1, 2)
    assert ended.message is not None and CODE not in ended.message and "\n" not in ended.message
    assert ended.message.startswith("a value") and ended.message.endswith("that cannot be read")
    folder = layout.folder_of(store_path) / progress.FOLDER
    assert CODE not in "".join(p.read_text(encoding="utf-8") for p in folder.iterdir())
    assert [p.name for p in layout.run_folders(store_path)] == []  # nothing published


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_process_that_died_running_reads_as_failed(store_path: Path) -> None:
    tracker = progress.Tracker(store_path, "2026-01-01T000000Z-0000abcd", total=3)
    tracker.step("impact")
    record = json.loads(tracker.path.read_text(encoding="utf-8")) | {"pid": _dead_pid()}
    tracker.path.write_text(json.dumps(record), encoding="utf-8")
    found = progress.latest(store_path)
    assert found is not None and (found.state, found.done, found.total) == ("failed", 1, 3)
    assert found.message == "the analysis process ended before it finished"
    assert progress.running(store_path) is None


def test_the_newest_analysis_is_shown_and_week_old_ended_ones_are_removed(store_path: Path) -> None:
    old = progress.Tracker(store_path, "2026-01-01T000000Z-00000001", total=1)
    old.end()
    week_ago = time.time() - progress.KEEP_SECONDS - 60
    stale = replace(old.progress, started_at=week_ago - 5, finished_at=week_ago)
    old.path.write_text(json.dumps(asdict(stale)), encoding="utf-8")
    newer = progress.Tracker(store_path, "2026-01-02T000000Z-00000002", total=4)
    assert not old.path.exists() and newer.path.exists()
    found = progress.latest(store_path)
    assert found is not None and (found.run_id, found.state, found.done) == ("2026-01-02T000000Z-00000002", "running", 0)
    assert oct(newer.path.stat().st_mode & 0o777) == "0o600"
    assert progress.running(store_path) == found
