"""How far an analysis has come, for every process that looks: one small JSON file per
analysis, written by the analysing process itself beside the runs.

Why a file and not the memory of whoever started it: the web app may run in several
worker processes, and an analysis may be started from the command line; each of them
must see the same state. The analysis writes `<store>.runs/.progress/<run_id>.json` when it
starts, after each section, and when it ends (each write a rename, so a reader never sees
half a file); a reader takes the newest file. A process that died without ending its file
(killed, out of memory) is found by its process id: the state is then `failed`.

The file holds no figure of the data: the run id, the process, who started it, the section
names, counts of sections, times, and on failure the error's one line (identity codes
redacted, as every message is).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from polku.files import private_folders
from polku.redaction import redact_hetus
from polku.runs import layout

FOLDER = ".progress"
"""Inside `<store>.runs/`; a hidden name, never listed as a run."""
KEEP_SECONDS = 7 * 24 * 3600
"""Ended progress files older than a week are removed when a new analysis starts."""
STARTED_BY = "POLKU_STARTED_BY"
"""Environment variable naming who asked for the analysis (the web sets the user's name);
without it the OS account."""


@dataclass(frozen=True)
class Progress:
    """One analysis's state: `running`, `done` or `failed`."""

    run_id: str
    pid: int
    started_by: str
    started_at: float
    total: int
    done: int = 0
    current: str | None = None
    state: str = "running"
    finished_at: float | None = None
    message: str | None = None

    def seconds(self, now: float | None = None) -> int:
        """Seconds since the start, until the end once ended."""
        return round((self.finished_at or (now or time.time())) - self.started_at)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the run id only once the run is published (`done`)."""
        started = dt.datetime.fromtimestamp(self.started_at, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out = asdict(self) | {"seconds": self.seconds(), "started": started}
        if self.state != "done":
            out["run_id"] = None
        return out


class Tracker:
    """The analysing process's side: `step` after each section, `end` once."""

    def __init__(self, store_path: Path, run_id: str, total: int, started_by: str | None = None) -> None:
        folder = layout.folder_of(Path(store_path)) / FOLDER
        private_folders(folder)
        _remove_old(folder)
        self.path = folder / f"{run_id}.json"
        by = started_by or os.environ.get(STARTED_BY) or _os_user()
        self.progress = Progress(run_id, os.getpid(), by, time.time(), total)
        _write(self.path, self.progress)

    def step(self, name: str) -> None:
        """Section `name` is done."""
        self.progress = replace(self.progress, done=self.progress.done + 1, current=name)
        _write(self.path, self.progress)

    def end(self, error: BaseException | None = None) -> None:
        """The analysis ended: published (`error` None) or failed with `error`'s first line."""
        message = None if error is None else redact_hetus(_first_line(error))
        state = "done" if error is None else "failed"
        self.progress = replace(self.progress, state=state, finished_at=time.time(), message=message)
        _write(self.path, self.progress)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def latest(store_path: Path) -> Progress | None:
    """The newest analysis of the store (by start), with a dead process's `running` read as
    `failed`; None when none has been tracked."""
    folder = layout.folder_of(Path(store_path)) / FOLDER
    found = _read_all(folder)
    if not found:
        return None
    newest = max(found, key=lambda p: (p.started_at, p.run_id))
    return _checked(newest)


def running(store_path: Path) -> Progress | None:
    """An analysis of the store still running (its process alive), if any."""
    folder = layout.folder_of(Path(store_path)) / FOLDER
    alive = [p for p in map(_checked, _read_all(folder)) if p.state == "running"]
    return max(alive, key=lambda p: p.started_at) if alive else None


def _checked(progress: Progress) -> Progress:
    if progress.state == "running" and not _alive(progress.pid):
        return replace(progress, state="failed", message="the analysis process ended before it finished")
    return progress


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another account's process: it exists
        return True
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    """A child the web app started and has not yet waited for is a zombie: ended."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # no /proc (not Linux): trust kill(0)
        return True


def _read_all(folder: Path) -> list[Progress]:
    if not folder.is_dir():
        return []
    out = []
    for path in folder.glob("*.json"):
        try:
            out.append(Progress(**json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError):  # removed meanwhile, or not ours
            continue
    return out


def _write(path: Path, progress: Progress) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(progress), handle, sort_keys=True)
    os.replace(temporary, path)


def _remove_old(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for progress in map(_checked, _read_all(folder)):
        if progress.state != "running" and (progress.finished_at or progress.started_at) < limit:
            (folder / f"{progress.run_id}.json").unlink(missing_ok=True)


def _os_user() -> str:
    from polku.store.audit import os_user

    return os_user()
