"""Another process holding a store's lock, for the lock and audit-journal tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from polku.store import open_store

HOLDER = "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(float(sys.argv[2]))"

Hold = Callable[[Path, float], subprocess.Popen[str]]


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    """An empty store (every table created)."""
    path = tmp_path / "polku.duckdb"
    open_store(path).close()
    return path


@pytest.fixture()
def hold() -> Iterator[Hold]:
    """hold(path, seconds): a child process with the store open for writing until `seconds`
    have passed; children still running at the end of the test are killed."""
    children: list[subprocess.Popen[str]] = []

    def start(path: Path, seconds: float) -> subprocess.Popen[str]:
        child = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
        children.append(child)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        return child

    yield start
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
        assert child.stdout is not None
        child.stdout.close()
