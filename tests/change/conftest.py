"""Fixtures of the change tests: the hand-built store of `change_helpers` and an empty one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from change_helpers import fill

from polku.store import Store, open_store


@pytest.fixture(scope="module")
def known_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(tmp_path_factory.mktemp("change") / "polku.duckdb")
    fill(store)
    yield store
    store.close()


@pytest.fixture()
def empty_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "empty.duckdb")
    yield store
    store.close()
