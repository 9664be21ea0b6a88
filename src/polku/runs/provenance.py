"""What a run records about how it was made: data, parameters, code, settings, time and user.

Why: a council or an auditor asks where a figure came from. The run answers with the
imports it read (ids and the SHA-256 of each file), one SHA-256 over the tax, benefit and
cost-benefit parameter files, the Polku version and git commit, every setting (the seed
among them), when it started and ended, and the OS account that ran it (docs/runs.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from pathlib import Path
from typing import Any

import polku
from polku.pipeline.settings import AnalysisSettings
from polku.quality import latest_imports
from polku.store import Store
from polku.store.audit import os_user

PACKAGE = Path(polku.__file__).parent
PARAMETER_ROOTS = (PACKAGE / "fiscal" / "parameters", PACKAGE / "fiscal" / "wage_tables")
PARAMETER_FILES = (PACKAGE / "cba" / "assumptions.yaml",)
_GIT_SECONDS = 5


def parameter_files() -> list[Path]:
    """Every file of rules' parameters a run depends on: the tax and benefit parameters, the
    wage tables and the cost-benefit assumptions, in a fixed order."""
    found = [p for root in PARAMETER_ROOTS for p in root.rglob("*.yaml")] + [p for p in PARAMETER_FILES if p.is_file()]
    return sorted(found, key=lambda p: p.relative_to(PACKAGE).as_posix())


def parameters_digest() -> dict[str, Any]:
    """One SHA-256 over the (path, file SHA-256) pairs of the parameter files, and their count."""
    lines = []
    for path in parameter_files():
        lines.append(f"{path.relative_to(PACKAGE).as_posix()}\t{hashlib.sha256(path.read_bytes()).hexdigest()}\n")
    return {"sha256": hashlib.sha256("".join(lines).encode("utf-8")).hexdigest(), "files": len(lines)}


def git_commit(package: Path = PACKAGE) -> str | None:
    """The commit of the checkout Polku runs from, or None when it is not one (an installed
    package). A package that merely sits inside some other repository (a virtual environment
    in a project's folder) is not taken for a checkout of Polku."""
    try:
        top = _git(package, "rev-parse", "--show-toplevel")
        if top is None or Path(top).resolve() / "src" / "polku" != package.resolve():
            return None
        return _git(package, "rev-parse", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return None


def git_dirty(package: Path = PACKAGE) -> bool | None:
    """Whether the checkout's Polku code differs from its commit (uncommitted changes under
    `src/`): then the commit alone does not say which code made the run. None outside a checkout."""
    if git_commit(package) is None:
        return None
    try:
        status = _git(package, "status", "--porcelain", "--", ".")
    except (OSError, subprocess.SubprocessError):
        return None
    return status is not None


def _git(folder: Path, *arguments: str) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(folder), *arguments], capture_output=True, text=True, timeout=_GIT_SECONDS, check=False
    )
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def imports(store: Store) -> list[dict[str, Any]]:
    """The newest import of every (table, source) the run read: its id, file SHA-256 and rows."""
    return [
        {
            "import_id": e.import_id,
            "table": e.table,
            "source": e.source,
            "sha256": e.sha256,
            "status": e.status,
            "rows_accepted": e.rows_accepted,
        }
        for e in latest_imports(store)
    ]


def utc_now() -> dt.datetime:
    """Now in UTC, to the microsecond: two runs finished within one second still list in order."""
    return dt.datetime.now(dt.UTC)


def provenance(
    *,
    run_id: str,
    store_path: Path,
    snapshot: dict[str, Any],
    read: list[dict[str, Any]],
    settings: AnalysisSettings,
    started: dt.datetime,
    finished: dt.datetime,
) -> dict[str, Any]:
    """run.json's fields before the tables' digests are added (`layout.publish`)."""
    from polku.runs.layout import FORMAT

    return {
        "format": FORMAT,
        "run_id": run_id,
        "store": str(store_path),
        "snapshot": snapshot,
        "imports": read,
        "parameters": parameters_digest(),
        "polku_version": polku.__version__,
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
        "seed": settings.seed,
        "settings": settings.to_dict(),
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "user": os_user(),
    }
