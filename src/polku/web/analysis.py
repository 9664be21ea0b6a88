"""The analyst's runs: the list with provenance, one run's run.json, and starting a new run.

A new run is `polku analyse --store S --json` in a child process: the very code path of the
command line (its audit row included), and a fit that takes minutes does not hold the web
server's interpreter. The analysis reports its own progress, section by section, in a file
beside the runs (`polku.runs.progress`), so every worker process of the server sees the
same state, and an analysis started from the command line shows here too. One analysis at
a time per store; the page polls its state with a meta refresh (no script). The child's
output is kept in an owner-only temporary folder, never in the store, and removed once the
child has ended.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from polku.redaction import redact_hetus
from polku.runs import progress
from polku.runs.read import list_runs
from polku.web import results, trail
from polku.web.access import Denied, NotInScope, Reads, require
from polku.web.app import Context, current_session, json_response
from polku.web.security import csrf_ok


def analyse_command(store_path: Path) -> list[str]:
    """The command a started run executes (tests replace it with a quick one)."""
    return [sys.executable, "-m", "polku", "analyse", "--store", str(store_path), "--json"]


@dataclass
class _Child:
    """An analysis this process started: its process and, once it has ended, how (the
    folder with its output is removed then; a failure keeps its one redacted line)."""

    process: subprocess.Popen[bytes]
    started: float
    username: str
    folder: Path
    code: int | None = None
    message: str = ""

    def settle(self) -> int | None:
        """The exit code, reaping the process; on the first call after it ended, read the
        failure's last line and remove the output folder."""
        if self.code is None and (code := self.process.poll()) is not None:
            if code != 0:
                lines = (self.folder / "err.txt").read_text(encoding="utf-8", errors="replace").strip().splitlines()
                self.message = redact_hetus(lines[-1][:300]) if lines else ""
            shutil.rmtree(self.folder, ignore_errors=True)
            self.code = code
        return self.code


_children: dict[str, _Child] = {}
_exiting: list[_Child] = []
"""Earlier children whose analysis has ended but whose process may still be exiting: kept
until reaped (and their folder removed), so that none is left a zombie or dropped while it runs."""
_lock = threading.Lock()


def start(store_path: Path, username: str) -> None:
    """Start an analysis of the store unless one is running (started by any process)."""
    key = str(store_path)
    with _lock:
        started = _started_here(key)
        if progress.running(store_path) is not None or (started is not None and started["state"] == "running"):
            return
        if key in _children:
            _exiting.append(_children[key])
        folder = Path(tempfile.mkdtemp(prefix="polku-analyse-"))
        env = os.environ | {progress.STARTED_BY: username}
        with (folder / "out.json").open("wb") as out, (folder / "err.txt").open("wb") as err:
            child = subprocess.Popen(analyse_command(store_path), stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        _children[key] = _Child(child, time.time(), username, folder)


def _started_here(key: str) -> dict[str, Any] | None:
    """The state of the child this process started for the store, while its progress file
    does not yet tell (Python's start and the snapshot's opening, or a refusal before the
    analysis began: then `failed` with the command's last line); None once the file tells."""
    _exiting[:] = [child for child in _exiting if child.settle() is None]
    child = _children.get(key)
    if child is None:
        return None
    code = child.settle()  # first: it reaps an ended child
    tracked = progress.latest(Path(key))
    if tracked is not None and tracked.started_at >= child.started - 1:
        return None
    summary: dict[str, Any] = {
        "started_by": child.username,
        "seconds": round(time.time() - child.started),
        "done": 0,
        "total": None,
    }
    if code is None:
        return summary | {"state": "running"}
    if code == 0:
        return None
    return summary | {"state": "failed", "message": child.message}


def job_summary(store_path: Path) -> dict[str, Any] | None:
    """The newest analysis of the store: running (with sections done of all), done (with the
    new run's id) or failed (with its one-line reason); None when none is known."""
    with _lock:
        started = _started_here(str(store_path))
    if started is not None:
        return started
    tracked = progress.latest(store_path)
    return None if tracked is None else tracked.to_dict()


def runs_page(ctx: Context) -> dict[str, Any]:
    """Every run (newest first) with its provenance summary, and the state of a started one."""
    ctx.require(Reads.RUNS)
    found = [run.summary() for run in reversed(list_runs(ctx.state.store_path))]
    return {"runs": found, "job": job_summary(ctx.state.store_path)}


def run_detail(ctx: Context) -> dict[str, Any]:
    """One run's provenance (run.json) as stored."""
    ctx.require(Reads.RUNS)
    run = results.run_by_id(ctx.state.store_path, ctx.request.path_params["run_id"])
    if run is None:
        raise NotInScope("no such run")
    return {"run_id": run.run_id, "provenance": dict(run.provenance)}


def job_status(ctx: Context) -> dict[str, Any]:
    """The newest analysis: running (sections done of all), done (with the new run's id) or
    failed (with its one-line reason)."""
    ctx.require(Reads.RUNS)
    return {"job": job_summary(ctx.state.store_path)}


async def start_run(request: Request) -> Response:
    """POST /runs/start (CSRF): start `polku analyse` in the background, then show its status."""
    from polku.web.app import WebState

    state: WebState = request.app.state.web
    session = await current_session(state, request)
    if session is None or session.user is None:
        return json_response({"error": "login required"}, 401)
    form = await request.form()
    user = session.user
    try:
        require(user, Reads.RUNS)
    except Denied as refusal:
        await run_in_threadpool(
            trail.record, state.store_path, user.username, "web analyse", outcome="refused", reason=refusal.what
        )
        return Response("Forbidden", status_code=403, media_type="text/plain")
    if not csrf_ok(session.csrf, form.get("csrf_token")):
        await run_in_threadpool(trail.record, state.store_path, user.username, "web analyse", outcome="refused", reason="csrf")
        return Response("CSRF token missing or wrong", status_code=403, media_type="text/plain")
    await run_in_threadpool(start, state.store_path, user.username)
    await run_in_threadpool(trail.record, state.store_path, user.username, "web analyse", access="aggregates", started=True)
    return RedirectResponse("/runs/status", status_code=303)
