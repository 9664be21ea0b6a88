"""Reading runs: list them, open one by id or as "latest", read its tables when asked.

Why files and not the store: a run is read without the store's lock and without fitting
anything, so a report, the terminal or a long-lived web server reads runs while an import
or another analysis writes; a new run is seen as soon as its folder appears.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from polku.errors import UsageError
from polku.runs import layout
from polku.runs import tables as table_files

if TYPE_CHECKING:
    from polku.reports.context import RunHeader

LATEST = "latest"


class RunTables(Mapping[str, pd.DataFrame]):
    """A run's tables by name, each read from its Parquet file on first use.

    Each access returns a copy, so a view that changes a frame cannot change what the next
    view reads."""

    def __init__(self, folder: Path, names: list[str]) -> None:
        self._folder = folder
        self._names = list(names)
        self._read: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._read:
            self._read[name] = table_files.read(self._folder / f"{name}.parquet")
        return self._read[name].copy()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@dataclass(frozen=True)
class Run:
    """One stored analysis run: its provenance (run.json) and its tables."""

    folder: Path
    provenance: Mapping[str, Any]
    tables: RunTables = field(repr=False)

    @property
    def run_id(self) -> str:
        return str(self.provenance["run_id"])

    @property
    def finished_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.provenance["finished_at"])

    @property
    def as_of(self) -> dt.date | None:
        value = self.provenance["settings"].get("as_of")
        return dt.date.fromisoformat(value) if value else None

    @property
    def header(self) -> RunHeader:
        """What the report's header says about the run."""
        from polku.reports.context import RunHeader

        return RunHeader(
            self.run_id,
            self.finished_at,
            int(self.provenance["seed"]),
            self.as_of,
            self.provenance["polku_version"],
            self.kind,
            self._source(),
        )

    def _source(self) -> str:
        """The register a register's run read (name, first 12 digits of its manifest's SHA-256)."""
        if self.kind != layout.REGISTER:
            return ""
        snapshot = self.provenance.get("snapshot") or {}
        digest = snapshot.get("manifest_sha256") or ""
        return f"{snapshot.get('name', '')} ({digest[:12]})" if digest else str(snapshot.get("name", ""))

    @property
    def kind(self) -> str:
        """An area's run or a national register's (`polku.runs.layout.AREA`, `REGISTER`)."""
        return str(self.provenance.get("kind", layout.AREA))

    def summary(self) -> dict[str, Any]:
        """One line of `polku runs`: id, when it finished, seed, data date, version, user, digest."""
        p = self.provenance
        return {
            "run_id": self.run_id,
            "finished_at": p["finished_at"],
            "seed": p["seed"],
            "as_of": p["settings"].get("as_of"),
            "polku_version": p["polku_version"],
            "git_commit": p.get("git_commit"),
            "user": p["user"],
            "tables": len(self.tables),
            "results_sha256": p["results_sha256"],
        }


def read_run(folder: Path) -> Run:
    """The run in `folder` (its run.json and its tables' names)."""
    provenance = json.loads((folder / layout.RUN_FILE).read_text(encoding="utf-8"))
    names = [entry["name"] for entry in provenance["tables"]]
    return Run(folder, provenance, RunTables(folder / layout.TABLES, names))


def list_runs(store_path: Path) -> list[Run]:
    """Every published run of the store at `store_path`, in the order they finished (oldest first)."""
    runs = [read_run(folder) for folder in layout.run_folders(Path(store_path))]
    return sorted(runs, key=lambda run: (run.provenance["finished_at"], run.run_id))


def open_run(store_path: Path, run: str = LATEST) -> Run:
    """The run `run` (an id, or "latest": the last to finish); a one-line UsageError when
    there is no such run or none yet."""
    store_path = Path(store_path)
    if run == LATEST:
        found = list_runs(store_path)
        if not found:
            raise UsageError(f"no analysis run yet: run `polku analyse --store {store_path}`")
        return found[-1]
    folder = layout.folder_of(store_path) / run
    if not layout.RUN_ID.match(run) or not (folder / layout.RUN_FILE).is_file():
        raise UsageError(f"no analysis run {run!r} for the store {store_path}: `polku runs --store {store_path}` lists them")
    return read_run(folder)
