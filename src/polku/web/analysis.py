"""The analyst's runs: the list with provenance, one run's run.json, and starting a new run.

A new run is `polku analyse --store S --json` in a child process: the very code path of the
command line (its audit row included), and a fit that takes minutes does not hold the web
server's interpreter. One analysis at a time per store; the page polls its state with a
meta refresh (no script). Its output (the gated JSON summary) and its last message are kept
in an owner-only temporary folder, never in the store.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from polku.runs.read import list_runs
from polku.web import results, trail
from polku.web.access import Denied, NotInScope, Reads, require
from polku.web.app import Context, current_session, json_response
from polku.web.security import csrf_ok


def analyse_command(store_path: Path) -> list[str]:
    """The command a started run executes (tests replace it with a quick one)."""
    return [sys.executable, "-m", "polku", "analyse", "--store", str(store_path), "--json"]


@dataclass
class Job:
    """One analysis started from the web."""

    started_by: str
    started_at: float
    process: subprocess.Popen[bytes]
    folder: Path
    finished_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def state(self) -> str:
        code = self.process.poll()
        if code is None:
            return "running"
        if self.finished_at is None:
            self.finished_at = time.time()
        return "done" if code == 0 else "failed"

    def summary(self) -> dict[str, Any]:
        state = self.state()
        out: dict[str, Any] = {
            "state": state,
            "started_by": self.started_by,
            "seconds": round((self.finished_at or time.time()) - self.started_at),
        }
        if state == "done":
            try:
                out["run_id"] = json.loads((self.folder / "out.json").read_text(encoding="utf-8"))["run_id"]
            except (OSError, ValueError, KeyError):
                out["run_id"] = None
        if state == "failed":
            lines = (self.folder / "err.txt").read_text(encoding="utf-8", errors="replace").strip().splitlines()
            out["message"] = lines[-1][:300] if lines else ""
        return out


_jobs: dict[str, Job] = {}
_lock = threading.Lock()


def start(store_path: Path, username: str) -> Job:
    """Start an analysis of the store unless one started here is still running."""
    key = str(store_path)
    with _lock:
        current = _jobs.get(key)
        if current is not None and current.state() == "running":
            return current
        folder = Path(tempfile.mkdtemp(prefix="polku-analyse-"))
        with (folder / "out.json").open("wb") as out, (folder / "err.txt").open("wb") as err:
            process = subprocess.Popen(analyse_command(store_path), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _jobs[key] = Job(username, time.time(), process, folder)
        return _jobs[key]


def job_of(store_path: Path) -> Job | None:
    with _lock:
        return _jobs.get(str(store_path))


def runs_page(ctx: Context) -> dict[str, Any]:
    """Every run (newest first) with its provenance summary, and the state of a started one."""
    ctx.require(Reads.RUNS)
    found = [run.summary() for run in reversed(list_runs(ctx.state.store_path))]
    job = job_of(ctx.state.store_path)
    return {"runs": found, "job": None if job is None else job.summary()}


def run_detail(ctx: Context) -> dict[str, Any]:
    """One run's provenance (run.json) as stored."""
    ctx.require(Reads.RUNS)
    run = results.run_by_id(ctx.state.store_path, ctx.request.path_params["run_id"])
    if run is None:
        raise NotInScope("no such run")
    return {"run_id": run.run_id, "provenance": dict(run.provenance)}


def job_status(ctx: Context) -> dict[str, Any]:
    """The started analysis: running, done (with the new run's id) or failed (with its last line)."""
    ctx.require(Reads.RUNS)
    job = job_of(ctx.state.store_path)
    return {"job": None if job is None else job.summary()}


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
