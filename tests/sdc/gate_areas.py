"""Small synthetic areas for the disclosure gate's tests: generated and imported, no report."""

from __future__ import annotations

from pathlib import Path

from polku.identity import load_key
from polku.ingest import import_folder
from polku.store import open_store
from polku.synth import generate

SIZES = (12, 30, 100, 200)
"""Clients in the test areas."""

KEY = "5e" * 32
"""The pseudonymisation key of the test areas (a synthetic one)."""


def build_area(root: Path, clients: int, seed: int) -> Path:
    """Generate an area of `clients` under `root` and import it; the store's path (the key
    must be set in POLKU_PSEUDONYM_KEY)."""
    generate(clients=clients, seed=seed, out_dir=root / "synthetic")
    path = root / "polku.duckdb"
    with open_store(path) as store:
        import_folder(store, root / "synthetic", key=load_key())
    return path
