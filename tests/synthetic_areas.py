"""Synthetic areas generated and imported for the tests, and copies of them to write to.

Why shared: generating and importing an area takes seconds to minutes, and several folders
ask for the same one. `tests/conftest.py` builds each (clients, seed) once per test process
(each pytest-xdist worker) with `build_area`; tests that only read open it, and tests that
write take a `copy_area` (a DuckDB store is one file, and copying its folder is cheap).
No analysis run is made: the tests that need one make it themselves (`polku.demo` is
tested end to end in tests/test_demo.py).
"""

from __future__ import annotations

import shutil
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
