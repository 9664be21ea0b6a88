"""Where runs live and how one is published: a folder written in full, sealed, then renamed.

Why a rename: a reader lists `<store>.runs/` and opens what it finds; a run appears there
whole, in one step, or not at all. A run is written into a hidden partial folder, every
file flushed to disk and made read-only, then renamed to its run id. A killed analysis
leaves only a hidden folder, which is never listed and which a later run removes once it
is a day old (a younger one may belong to an analysis still running in another process).
Runs hold exact figures about people, so everything is owner-only, as the store is.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from polku.files import private_folders
from polku.runs import tables as table_files

SUFFIX = ".runs"
RUN_FILE = "run.json"
TABLES = "tables"
PARTIAL_PREFIX = ".partial-"
FORMAT = 1
"""Version of the run's layout and of run.json's fields (docs/runs.md)."""
AREA, REGISTER = "area", "register"
"""A run's `kind` in run.json: an area's analysis (`polku analyse`; runs without the field
are of this kind) or a national register's (`polku national`), which holds the national
tables only and is rendered by the sections that read them."""

RUN_ID = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z-[0-9a-f]{8}$")
"""`2026-12-07T012345Z-1a2b3c4d`. The dashes in the date keep every run of digits shorter than
six: `20261207T012345` has the shape of an identity code (six digits, a letter, four more),
and the one redaction rule (`polku.redaction`) would hide the id in messages and the audit."""
FILE_MODE = 0o400
FOLDER_MODE = 0o500


def folder_of(store_path: Path) -> Path:
    """The runs of the store at `store_path`: a folder beside it."""
    return store_path.with_name(store_path.name + SUFFIX)


def new_run_id(started: dt.datetime) -> str:
    """Sortable by start time (UTC, to the second) and unique (8 random hex digits)."""
    return f"{started.astimezone(dt.UTC):%Y-%m-%dT%H%M%SZ}-{secrets.token_hex(4)}"


def publish(store_path: Path, provenance: dict[str, Any], frames: Mapping[str, pd.DataFrame]) -> Path:
    """Write `frames` and `provenance` (completed with each table's digest and the results'
    digest) as the run `provenance["run_id"]`, atomically; the run's folder."""
    runs = folder_of(store_path)
    private_folders(runs)
    _remove_partials(runs)
    run_id = provenance["run_id"]
    partial = runs / f"{PARTIAL_PREFIX}{run_id}"
    try:
        partial.mkdir(mode=0o700)
        (partial / TABLES).mkdir(mode=0o700)
        written = table_files.write_all(partial / TABLES, frames)
        record = provenance | {"tables": written, "results_sha256": table_files.results_digest(written)}
        _write_json(partial / RUN_FILE, record)
        _seal(partial)
        final = runs / run_id
        os.rename(partial, final)
        _fsync(runs)
    except BaseException:
        _remove(partial)
        raise
    return final


def _write_json(path: Path, value: dict[str, Any]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False, indent=2, sort_keys=True, default=str)
        handle.write("\n")


def _seal(folder: Path) -> None:
    """Every file flushed and read-only, then every folder flushed and read-only (deepest first)."""
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        _fsync(file)
        file.chmod(FILE_MODE)
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        _fsync(sub)
        sub.chmod(FOLDER_MODE)
    _fsync(folder)
    folder.chmod(FOLDER_MODE)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(folder: Path) -> None:
    """Remove a partial run, read-only parts included."""
    if not folder.exists():
        return
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            path.chmod(stat.S_IRWXU)
    shutil.rmtree(folder, ignore_errors=True)


def _remove_partials(runs: Path) -> None:
    """Partial folders of analyses that were killed; an analysis running now in another
    process is not touched (its partial folder is younger than a day)."""
    day_ago = dt.datetime.now().timestamp() - 86400
    for partial in runs.glob(f"{PARTIAL_PREFIX}*"):
        if partial.stat().st_mtime < day_ago:
            _remove(partial)


def run_folders(store_path: Path) -> list[Path]:
    """Published runs: folders named as run ids that hold a run.json (partial ones are hidden)."""
    runs = folder_of(store_path)
    if not runs.is_dir():
        return []
    return sorted(p for p in runs.iterdir() if RUN_ID.match(p.name) and (p / RUN_FILE).is_file())
