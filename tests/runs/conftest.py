"""Fixtures of the run tests: a small imported store, and a report section of known tables.

The section computes from the store (how many persons) and from the seed (a random draw),
so a test can tell a run of other data or another seed apart; while it is registered the
other sections are left out, so the tests check storage, not the analyses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from runs_sample import compute, persons_csv

from polku.identity import create_key_file
from polku.ingest import import_file
from polku.reports import registry
from polku.store import open_store

TEST_SECTION = "runs_test"


@pytest.fixture()
def test_section(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Only the test section is registered while the test runs (every section module is
    imported first, so none registers itself into the emptied registry)."""
    assert registry.sections()
    monkeypatch.setattr(registry, "_REGISTRY", {})
    registry.register(TEST_SECTION, "report.title", 999, compute=compute)(lambda results, ctx: [])
    yield TEST_SECTION


@pytest.fixture()
def keyed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A key file the settings point at (the store's folder stays apart from it)."""
    monkeypatch.delenv("POLKU_PSEUDONYM_KEY", raising=False)
    key = tmp_path / "secrets" / "pseudonym.key"
    create_key_file(key)
    monkeypatch.setenv("POLKU_PSEUDONYM_KEY_FILE", str(key))
    return key


@pytest.fixture()
def store_path(tmp_path: Path, keyed: Path) -> Path:
    """A store with 12 persons imported (and so one read snapshot)."""
    from polku.identity import load_key

    path = tmp_path / "store" / "polku.duckdb"
    with open_store(path) as store:
        import_file(store, "person", persons_csv(tmp_path / "person.csv", 0, 12), key=load_key(key_file=keyed))
    return path
