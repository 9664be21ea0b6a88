"""Fixtures of the client-group tests: the hand-built store of `groups_helpers`, its grouped
person-dates and the test menu."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from groups_helpers import AS_OF, MENU, fill

from polku.groups.assign import with_groups
from polku.groups.config import GroupConfig, load_groups
from polku.groups.rows import group_rows
from polku.menu import Menu, load_menu
from polku.store import open_store


@pytest.fixture(scope="module")
def known_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("groups") / "polku.duckdb"
    with open_store(path) as store:
        fill(store)
    return path


@pytest.fixture(scope="module")
def config() -> GroupConfig:
    return load_groups()


@pytest.fixture(scope="module")
def menu(config: GroupConfig, tmp_path_factory: pytest.TempPathFactory) -> Menu:
    path = tmp_path_factory.mktemp("menu") / "menu.yaml"
    path.write_text(MENU, encoding="utf-8")
    return load_menu(config, path)


@pytest.fixture(scope="module")
def grouped(known_path: Path, config: GroupConfig) -> Iterator[pd.DataFrame]:
    with open_store(known_path, read_only=True) as store:
        yield with_groups(group_rows(store, AS_OF), config)
