"""Shared fixtures for the ingest tests: a fresh store and a test key."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for ingest_helpers

from polku.identity import PseudonymKey  # noqa: E402
from polku.store import Store, open_store  # noqa: E402


@pytest.fixture
def key() -> PseudonymKey:
    return PseudonymKey(bytes(range(32)), 1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "store.duckdb") as opened:
        yield opened
