"""open_store: a locked store names its holder and can be waited for; a path that is not a
DuckDB file is refused instead of being opened as an in-memory database."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from polku.errors import UsageError
from polku.store import open_store
from polku.store.connection import StoreLocked, lock_holder

Hold = Callable[[Path, float], subprocess.Popen[str]]  # the `hold` fixture of conftest.py


@pytest.fixture()
def holder(store_path: Path, hold: Hold) -> subprocess.Popen[str]:
    return hold(store_path, 60)


def test_a_locked_store_names_the_holding_process_and_its_command(store_path: Path, holder: subprocess.Popen[str]) -> None:
    with pytest.raises(StoreLocked) as caught:
        open_store(store_path, read_only=True)
    message = caught.value.render()
    assert f"is locked by PID {holder.pid} (" in message
    assert "time.sleep" in message  # the holder's command line, read from /proc
    assert "--wait" in message and "Traceback" not in message
    assert caught.value.exit_code == 2


def test_wait_gives_up_after_the_time_given(store_path: Path, holder: subprocess.Popen[str]) -> None:
    started = time.monotonic()
    with pytest.raises(StoreLocked, match=r"after waiting 0.6 s"):
        open_store(store_path, read_only=True, wait=0.6)
    assert 0.6 <= time.monotonic() - started < 5


def test_wait_opens_the_store_once_the_lock_is_freed(store_path: Path, hold: Hold) -> None:
    child = hold(store_path, 1.5)
    started = time.monotonic()
    with open_store(store_path, read_only=True, wait=30) as store:
        assert store.con.execute("SELECT count(*) FROM import_log").fetchall() == [(0,)]
    assert time.monotonic() - started >= 0.5
    assert child.wait(timeout=30) == 0


def test_the_lock_message_of_duckdb_is_parsed_and_a_hetu_in_the_command_redacted() -> None:
    message = (
        'IO Error: Could not set lock on file "/s.duckdb": Conflicting lock is held in /usr/bin/python3 (PID 999999999). '
        "See also https://duckdb.org"
    )
    assert lock_holder(message) == "PID 999999999 (/usr/bin/python3)"  # no such process: the program from the message
    assert lock_holder("IO Error: disk full") is None
    assert "010594Y9032" not in (lock_holder(message.replace("/usr/bin/python3", "polku erase --hetu 010594Y9032")) or "")


@pytest.mark.parametrize("content", [b"person_id,age\np1,30\n", b"", bytes(range(256))])
def test_a_file_that_is_not_a_store_is_refused_whatever_its_name(tmp_path: Path, content: bytes) -> None:
    for name in ("person.csv", "data.parquet", "polku.duckdb"):
        path = tmp_path / name
        path.write_bytes(content)
        for read_only in (True, False):
            with pytest.raises(UsageError, match="not a Polku store"):
                open_store(path, read_only=read_only)
        assert path.read_bytes() == content


def test_a_folder_as_the_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a folder"):
        open_store(tmp_path)


def test_the_command_line_says_who_holds_the_store_and_waits_with_wait(store_path: Path, hold: Hold) -> None:
    from click.testing import CliRunner

    from polku.cli import main

    holder = hold(store_path, 60)
    locked = CliRunner().invoke(main, ["status", "--store", str(store_path)])
    assert locked.exit_code == 2 and "Traceback" not in locked.output
    assert locked.stderr.startswith(f"error: the store {store_path} is locked by PID {holder.pid} (")
    holder.kill()
    holder.wait(timeout=30)
    hold(store_path, 1.5)
    started = time.monotonic()
    waited = CliRunner().invoke(main, ["--wait", "30", "status", "--store", str(store_path)])
    assert waited.exit_code == 0, waited.output
    assert time.monotonic() - started >= 0.5


def test_another_program_s_duckdb_file_is_not_read_as_a_store(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(UsageError, match="not a Polku store"):
        open_store(path, read_only=True)


def test_a_store_shared_as_another_kind_reads_the_same_connection(tmp_path: Path) -> None:
    """The report's store class wraps an open store without the caller touching `.con`."""
    from polku.store import Store, open_store

    class Memo(Store):
        pass

    with open_store(tmp_path / "polku.duckdb") as store:
        shared = store.shared_as(Memo)
        assert isinstance(shared, Memo) and shared.con is store.con and not shared.writable
        assert shared.table("person").count().execute() == 0
