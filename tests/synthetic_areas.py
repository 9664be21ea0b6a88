"""Synthetic areas generated and imported for the tests, built once per test run.

Why shared: generating and importing an area takes seconds to minutes, and several files,
often on both pytest-xdist workers, ask for the same one. `built_once` builds a folder once
per run, whichever worker asks first (the other waits for it), and each worker works on its
own copy (a DuckDB store is one file, and copying its folder is cheap), so that no worker
holds a file the other opens. `tests/conftest.py` keeps one copy of each (clients, seed) per
worker (`shared_area`); a test that writes to an area takes a `copy_area` of it. No analysis
run is made: the tests that need one make it themselves (`polku.demo` is tested end to end
in tests/test_demo.py).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from polku.identity import load_key
from polku.ingest import import_folder
from polku.store import open_store
from polku.synth import generate

KEY = "5e" * 32
"""The pseudonymisation key of the shared areas (a synthetic one): fixed, so that the
pseudonyms, and with them the comparison draws, are the same in every run."""


@dataclass(frozen=True)
class Area:
    """A generated area (its files and ground truth in `data_dir`) imported into `store_path`."""

    data_dir: Path
    store_path: Path


def build_area(root: Path, clients: int, seed: int) -> Area:
    """Generate an area of `clients` under `root` and import it with `KEY`, as `polku demo`
    does before it analyses (the store is the demo's, byte for byte in its tables)."""
    data_dir, store_path = root / "synthetic", root / "store" / "polku.duckdb"
    generate(clients=clients, seed=seed, out_dir=data_dir)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLKU_PSEUDONYM_KEY", KEY)
        key = load_key()
    with open_store(store_path) as store:  # closing publishes the read snapshot
        import_folder(store, data_dir, key=key, allow_shrink=True)
    return Area(data_dir, store_path)


def copy_area(area: Area, root: Path) -> Area:
    """A copy of `area` under `root` that a test may write to: the store's folder (the file,
    its read snapshots and anything beside it) and the generated files."""
    store_path = root / "store" / area.store_path.name
    shutil.copytree(area.store_path.parent, store_path.parent)
    shutil.copytree(area.data_dir, root / "synthetic")
    return Area(root / "synthetic", store_path)


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this test run that every xdist worker sees: the parent of the workers' own
    temporary folders (without xdist, the run's own temporary folder)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """The folder `name` that `build(folder)` filled, built once per test run by the first
    worker that asks (a worker that asks meanwhile waits); never written to afterwards: copy it."""
    shared = run_folder(tmp_path_factory) / "built-once"
    shared.mkdir(exist_ok=True)
    folder, done = shared / name, shared / f"{name}.done"
    with _locked(shared / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker that failed half-way
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


def copy_folder(source: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A copy of the folder `source` in this worker's temporary folder."""
    target = tmp_path_factory.mktemp(name) / source.name
    shutil.copytree(source, target)
    return target
