"""A Windows-1252 import killed (SIGKILL) at random moments leaves no identity code on disk
and the store as it was.

Issue 14: the importer transcoded such a file into a plaintext UTF-8 copy in TMPDIR
(`polku-import-*/source-utf8.csv`, every hetu in it), and a killed import left it there.
Now the copy exists only in memory. The child is the real `polku import` command, with its
own TMPDIR; after each kill every file under the test's folder (TMPDIR, the store and its
WAL, DuckDB's spill folder), except the source itself, is searched for the file's codes.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from ingest_helpers import FIXTURES, row, table_checksum, write_csv

from polku.errors import UsageError
from polku.identity import PseudonymKey, compose_hetus
from polku.ingest import import_file
from polku.store import open_store

KEY = PseudonymKey(bytes(range(32)), 1)
AUTO = FIXTURES / "mappings" / "auto_detect.yaml"
HETU_SHAPE = re.compile(rb"\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]")
KILLS = 3


def _hetus(count: int) -> np.ndarray:
    """Distinct synthetic codes (individual numbers 900-999: test codes, nobody's own)."""
    days = np.arange(count) // 100
    births = (np.datetime64("1970-01-01") + days).astype("datetime64[D]")
    return compose_hetus(births, 900 + np.arange(count) % 100, np.full(count, "-"))


def _source(path: Path, hetus: np.ndarray) -> Path:
    rows = [row("employment_spell", n, hetu=str(code)) for n, code in enumerate(hetus, start=1)]
    rows[0]["source"] = "itse ilmoitettu, työvoimatoimisto"  # one ä makes the file Windows-1252
    return write_csv(path, "employment_spell", rows, encoding="windows-1252")


def _found(folder: Path, source: Path, hetus: set[bytes]) -> list[str]:
    """Files under `folder` (but the source) that hold one of `hetus`."""
    holding = []
    for path in folder.rglob("*"):
        if path.is_file() and path != source and hetus & set(HETU_SHAPE.findall(path.read_bytes())):
            holding.append(str(path.relative_to(folder)))
    return holding


def _checksums(store_path: Path) -> dict[str, object]:
    with open_store(store_path) as store:
        log = store.con.execute("SELECT import_id, status, rows_read FROM import_log ORDER BY 1").fetchall()
        return {
            "employment_spell": table_checksum(store, "employment_spell"),
            "quarantine": table_checksum(store, "quarantine"),
            "log": log,
        }


def _run(command: list[str], env: dict[str, str], cwd: Path, kill_after: float | None = None) -> tuple[int | None, float]:
    """(exit code, or None when killed; seconds). SIGKILL after `kill_after` seconds."""
    started = time.monotonic()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return child.wait(timeout=kill_after), time.monotonic() - started
    except subprocess.TimeoutExpired:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        return None, time.monotonic() - started


def test_a_killed_windows_1252_import_leaves_no_plaintext_and_no_partial_rows(tmp_path: Path) -> None:
    """The kills fall at random fractions (55-95 %) of one whole run's time, measured first
    into a copy of the store (the same work as the runs that are killed: into a new store the
    run also creates the schema, and the kills then fell after the commit): past the start-up
    of Python and into reading and loading."""
    hetus = _hetus(20_000)
    store_path = tmp_path / "store.duckdb"
    earlier = write_csv(tmp_path / "v1" / "spells.csv", "employment_spell", [row("employment_spell", n) for n in range(1, 11)])
    with open_store(store_path) as store:
        import_file(store, "employment_spell", earlier, key=KEY, source="spells.csv")
    before = _checksums(store_path)
    source = _source(tmp_path / "spells.csv", hetus)
    temp = tmp_path / "tmpdir"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "POLKU_PSEUDONYM_KEY": bytes(range(32)).hex(), "POLKU_PSEUDONYM_KEY_VERSION": "1"}
    command = [
        sys.executable,
        "-m",
        "polku",
        "import",
        "employment_spell",
        str(source),
        "--mapping",
        str(AUTO),
        "--source",
        "spells.csv",
        "--store",
    ]
    codes = {str(h).encode() for h in hetus}
    shutil.copy(store_path, tmp_path / "timing.duckdb")
    ended, whole = _run([*command, str(tmp_path / "timing.duckdb")], env, tmp_path)
    assert ended == 1 and _found(tmp_path, source, codes) == []  # 1: the row with the ä is quarantined
    killed = 0
    for fraction in random.Random(14).sample([0.55, 0.65, 0.75, 0.85, 0.95], KILLS):
        ended, seconds = _run([*command, str(store_path)], env, tmp_path, kill_after=fraction * whole)
        assert _found(tmp_path, source, codes) == [], f"killed after {seconds:.1f} s of {whole:.1f}"
        state = _checksums(store_path)
        # a run that ends before its kill commits: "replaced", or "unchanged" once an earlier run did
        committed = (
            state["log"][-1][1:] in {("replaced", len(hetus)), ("unchanged", len(hetus))}
            and state["employment_spell"][0] == len(hetus) - 1
        )
        assert state == before or committed, f"partial rows after a kill at {seconds:.1f} s of {whole:.1f}"
        killed += ended is None and not committed
        before = state  # a committed import is the state the next kill must keep
    assert killed, "no kill fell inside an import's transaction"


def test_a_writable_store_never_spills_and_an_import_short_of_memory_fails_in_one_line(tmp_path: Path) -> None:
    """The staging tables hold raw codes: DuckDB may not write them to temporary files, so an
    import that outgrows memory is refused (nothing imported, nothing left beside the store)."""
    hetus = _hetus(20_000)
    source = _source(tmp_path / "spells.csv", hetus)
    store_path = tmp_path / "store" / "polku.duckdb"
    with open_store(store_path) as store:
        assert store.con.execute("SELECT current_setting('temp_directory')").fetchone() == ("",)
        store.con.execute("SET memory_limit = '8MB'")
        with pytest.raises(UsageError, match="needs more memory than DuckDB may use; nothing was imported") as caught:
            import_file(store, "employment_spell", source, mapping=AUTO, key=KEY, source="spells.csv")
        assert "Traceback" not in caught.value.render()
        assert store.con.execute("SELECT count(*) FROM employment_spell").fetchone() == (0,)
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["polku.duckdb"]
