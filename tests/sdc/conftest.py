"""Small synthetic areas (generated and imported, no report) for the disclosure gate's tests.

Built once per session: 30 and 100 clients, the sizes at which issue 14 found small counts
in the report and the JSON outputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from polku.identity import load_key
from polku.ingest import import_folder
from polku.store import open_store
from polku.synth import generate

KEY = "5e" * 32


def _area(root: Path, clients: int, seed: int) -> Path:
    generate(clients=clients, seed=seed, out_dir=root / "synthetic")
    path = root / "polku.duckdb"
    with open_store(path) as store:
        import_folder(store, root / "synthetic", key=load_key())
    return path


@pytest.fixture(scope="session")
def small_areas(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Store paths by number of clients."""
    mp = pytest.MonkeyPatch()
    mp.setenv("POLKU_PSEUDONYM_KEY", KEY)
    try:
        return {n: _area(tmp_path_factory.mktemp(f"area{n}"), n, seed=3) for n in (30, 100)}
    finally:
        mp.undo()
